import { afterEach, describe, expect, test } from "vitest";
import { step } from "@durable-endpoints/runtime";
import { realClock, withClock } from "@durable-endpoints/runtime/testing";
import { closeClients, follow, req, testClient } from "./helpers.js";

afterEach(closeClients);

describe("plain handler (replay mode)", () => {
  test("runs inline and returns the handler's Response with X-Durable-Run-Id", async () => {
    const { inngest } = testClient();
    let calls = 0;
    const handler = inngest.endpoint(async (r: Request) => {
      const id = new URL(r.url).searchParams.get("id");
      const data = await step.run("fetch", () => ({ id, n: ++calls, at: new Date(0) }));
      return Response.json({ data, isDate: data.at instanceof Date });
    });
    const res = await handler(req("/api/x?id=7"));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-durable-run-id")).toMatch(/^[\w-]{22}$/);
    expect(await res.json()).toEqual({ data: { id: "7", n: 1, at: new Date(0).toISOString() }, isDate: true });
  });

  test("a run's id sorts after the ids of the runs created before it (stores index new runs at the end)", async () => {
    let now = Date.UTC(2030, 0, 1);
    const { inngest } = testClient(withClock({}, { ...realClock, now: () => now }));
    const handler = inngest.endpoint(async () => new Response("ok"));
    const ids: string[] = [];
    for (const later of [0, 1, 1, 1000, 86_400_000, 2 ** 40]) {
      now += later;
      ids.push((await handler(req("/api/ids"))).headers.get("x-durable-run-id")!);
    }
    for (const id of ids) expect(id).toMatch(/^[\w-]{22}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("sleep suspends with 303 and the poll URL returns the final Response", async () => {
    // The clock moves only when the test says: on the real one, a process stalled 50 ms before the sleep is
    // checked finds it already past and finishes inline (200, no suspension).
    let now = Date.now();
    const { inngest } = testClient(withClock({}, { ...realClock, now: () => now }));
    const handler = inngest.endpoint(async () => {
      const a = await step.run("a", () => 1);
      await step.sleep("nap", "50ms");
      const b = await step.run("b", () => 2);
      return Response.json({ sum: a + b }, { status: 201, headers: { "x-custom": "yes" } });
    });
    const first = await handler(req("/api/sleep"));
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toMatch(/^\/api\/sleep\?__durable=[\w-]+\.[\w-]+$/);
    now += 50;
    const final = await follow(handler, first);
    expect(final.status).toBe(201);
    expect(final.headers.get("x-custom")).toBe("yes");
    expect(await final.json()).toEqual({ sum: 3 });
  });
});
