import { afterEach, describe, expect, test } from "vitest";
import { step } from "@durable-endpoints/runtime";
import { closeClients, follow, req, testClient } from "./helpers.js";

afterEach(closeClients);

describe("limits", () => {
  test("maxSteps: the step past the limit fails the run with a clear error", async () => {
    const { inngest } = testClient({ maxSteps: 3 });
    let ran = 0;
    const handler = inngest.endpoint(async () => {
      for (let i = 0; i < 5; i++) await step.run("s", () => ++ran);
      return new Response("never");
    });
    const res = await handler(req("/api/many"));
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toMatch(/exceeded the limit of 3 steps \(maxSteps\)/);
  });

  test("maxStateBytes: an oversized step result is a clear error", async () => {
    const { inngest } = testClient({ maxStateBytes: 1000 });
    const handler = inngest.endpoint(async () => {
      await step.run("big", () => "x".repeat(2000));
      return new Response("never");
    });
    const res = await handler(req("/api/big"));
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toMatch(/the result of step "big" is \d+ bytes serialized, more than the limit of 1000/);
  });

  test("a JSON object body nested too deeply is 400 saying so (not a 5xx); deep arrays and strings are only data", async () => {
    const { inngest } = testClient();
    let ran = 0;
    const handler = inngest.endpoint(async (r: Request) => Response.json({ ran: ++ran, length: (await r.text()).length }));
    const post = (body: string) => handler(req("/api/deep", { method: "POST", body, headers: { "content-type": "application/json" } }));
    const depth = 60_000; // 400 KB, well under maxBodyBytes
    const deep = await post(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
    expect(deep.status).toBe(400);
    expect((await deep.json()).error.message).toBe("The JSON body is nested more than 1000 levels deep");
    expect((await post(`{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`)).status).toBe(400);
    expect(ran).toBe(0);
    // not trigger data (an array), or brackets inside a string, or 1,000 levels: served
    expect((await post(`${"[".repeat(depth)}${"]".repeat(depth)}`)).status).toBe(200);
    expect((await post(JSON.stringify({ text: "{[".repeat(depth) }))).status).toBe(200);
    expect((await post(`${'{"a":'.repeat(999)}1${"}".repeat(999)}`)).status).toBe(200);
    expect(ran).toBe(3);
  });

  test("maxStateBytes applies to a failed step's error: what is stored is cut to fit, the handler still sees the failure", async () => {
    const { inngest, store } = testClient({ maxStateBytes: 1000, retries: 1, backoff: { initial: 1, max: 1 } });
    const seen: string[] = [];
    const handler = inngest.endpoint(async () => {
      try {
        await step.run("boom", () => {
          throw new TypeError(`bad ${"x".repeat(5_000_000)}`, { cause: new Error("y".repeat(100_000)) });
        });
      } catch (error) {
        seen.push(`${(error as Error).name}: ${(error as Error).message.slice(0, 8)} (${(error as Error).message.length})`);
        seen.push(((error as Error).cause as Error).name);
      }
      return new Response("handled");
    });
    const first = await handler(req("/api/fail-big"));
    const runId = first.headers.get("x-durable-run-id")!;
    const final = await follow(handler, first);
    expect(await final.text()).toBe("handled");
    for (const saved of await store.listSteps(runId)) expect(saved.output!.length, saved.status).toBeLessThanOrEqual(1000);
    expect(seen[0]).toMatch(/^StepError: bad xxxx \(\d+\)$/);
    expect(Number(/\((\d+)\)/.exec(seen[0]!)![1])).toBeLessThan(1000);
    expect(seen[1]).toBe("TypeError");
  });

  test("a plain handler's request path longer than 2,048 characters is 414 (it would name the endpoint)", async () => {
    const { inngest } = testClient();
    let ran = 0;
    const handler = inngest.endpoint(async () => new Response(String(++ran)));
    const res = await handler(req(`/api/${"p".repeat(2100)}`));
    expect(res.status).toBe(414);
    expect((await res.json()).error.message).toMatch(/longer than 2048/);
    expect(await (await handler(req(`/${"p".repeat(2047)}`))).text()).toBe("1");
  });
});

