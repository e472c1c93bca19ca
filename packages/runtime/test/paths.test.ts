import { afterEach, describe, expect, test } from "vitest";
import { step, type Store } from "@durable-endpoints/runtime";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { closeClients, follow, req, sleep, testClient } from "./helpers.js";

afterEach(closeClients);

/** A memory store that records how many endpoint ids each scheduler query carried. */
function countingStore() {
  const store = memoryStore();
  const endpointsPerQuery: number[] = [];
  const counting = new Proxy(store, {
    get(target, name: string) {
      const value = (target as any)[name];
      if (name === "claimDue" || name === "nextWakeAt") {
        return (endpoints: readonly string[], ...rest: unknown[]) => {
          endpointsPerQuery.push(endpoints.length);
          return value.call(target, endpoints, ...rest);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Store;
  return { store: counting, endpointsPerQuery };
}

describe("plain handlers: an endpoint per request path, bounded", () => {
  test("the scheduler's queries do not grow with the number of distinct paths ever seen", async () => {
    const { store, endpointsPerQuery } = countingStore();
    const { inngest } = testClient({ store, leaseMs: 50 });
    const handler = inngest.endpoint(async () => new Response("ok"));
    for (let i = 0; i < 3000; i++) expect((await handler(req(`/api/items/${i}`))).status).toBe(200);
    endpointsPerQuery.length = 0;
    await sleep(300); // the scheduler runs at least every leaseMs
    expect(endpointsPerQuery.length).toBeGreaterThan(0);
    expect(Math.max(...endpointsPerQuery)).toBeLessThanOrEqual(1000);
  });

  test("a run on a path the scheduler no longer tracks still completes through its poll URL", async () => {
    const { inngest } = testClient({ leaseMs: 50 });
    const handler = inngest.endpoint(async (r: Request) => {
      // a wait no clock can end: a short sleep already past when checked would finish inline (200, no poll URL)
      if (new URL(r.url).pathname === "/api/old") await step.waitForEvent("go", { event: "test/go", timeout: "1h" });
      return new Response(`done ${new URL(r.url).pathname}`);
    });
    const first = await handler(req("/api/old"));
    expect(first.status).toBe(303);
    for (let i = 0; i < 1500; i++) await handler(req(`/api/new/${i}`));
    await inngest.send({ name: "test/go" });
    expect(await (await follow(handler, first)).text()).toBe("done /api/old");
  });

  test("/x and /x/ are one endpoint: the poll URL of one works on the other (a key sent with the other spelling is another request: 422)", async () => {
    const { inngest } = testClient();
    let runs = 0;
    const handler = inngest.endpoint(async () => {
      const n = await step.run("n", () => ++runs);
      await step.waitForEvent("go", { event: "test/go", timeout: "1h" }); // always suspends, unlike a short sleep
      return new Response(`run ${n}`);
    });
    const first = await handler(req("/api/x", { headers: { "idempotency-key": "k" } }));
    expect(first.status).toBe(303);
    await inngest.send({ name: "test/go" });
    const token = new URL(first.headers.get("location")!, "http://localhost").search;
    expect(await (await follow(handler, await handler(req(`/api/x/${token}`)))).text()).toBe("run 1");
    expect((await handler(req("/api/x/", { headers: { "idempotency-key": "k" } }))).status).toBe(422);
    expect(await (await follow(handler, await handler(req("/api/x", { headers: { "idempotency-key": "k" } })))).text()).toBe("run 1");
    expect(runs).toBe(1);
  });
});
