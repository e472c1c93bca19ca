/**
 * Event delivery under the races and faults that lose events: an event sent while the wait is in
 * flight (begun, not yet saved), a send() cut midway and retried with the same id, and a wait that
 * lost a Promise.race. On every store.
 */
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { step } from "@durable-endpoints/runtime";
import { startPgProxy } from "../../../test/support/pg-proxy.mjs";
import { testPostgresUrl } from "../../../test/support/postgres.mjs";
import { closeClients, removeTestStores, follow, req, sleep, storeKinds, testClient, type StoreKind } from "./helpers.js";

afterEach(closeClients);
afterAll(removeTestStores);

const kinds = Object.keys(storeKinds) as StoreKind[];

describe.each(kinds)("event delivery (%s)", (kind) => {
  test("an event sent while a sibling step of the same Promise.all still runs is delivered", async () => {
    const { inngest } = testClient({ store: await storeKinds[kind]() });
    let notifying!: () => void;
    const notifyStarted = new Promise<void>((resolve) => (notifying = resolve));
    const handler = inngest.endpoint(async () => {
      const [, approval] = await Promise.all([
        step.run("notify", async () => {
          notifying();
          await sleep(500);
          return "sent";
        }),
        step.waitForEvent("approval", { event: "order/approved", timeout: "3s" }),
      ]);
      return Response.json({ approval: approval?.id ?? null });
    });
    const first = handler(req("/api/order"));
    await notifyStarted; // the wait began right after: Promise.all evaluated both
    await sleep(100);
    await inngest.send({ name: "order/approved", id: "approved-while-notifying" });
    const final = await follow(handler, await first);
    expect(await final.json()).toEqual({ approval: "approved-while-notifying" });
  });

  test("a wait that lost a Promise.race does not change what later resumes see (replay mode)", async () => {
    const { inngest, store } = testClient({ store: await storeKinds[kind]() });
    const handler = inngest.endpoint(async () => {
      const winner = await Promise.race([
        step.waitForEvent("approval", { event: "race/approved", timeout: "1h" }).then(() => "approved"),
        step.sleep("deadline", "50ms").then(() => "timed-out"),
      ]);
      const recorded = await step.run("record", () => winner);
      await step.sleep("later", "300ms");
      return Response.json({ winner, recorded });
    });
    const first = await handler(req("/api/race"));
    expect(first.status).toBe(303);
    const runId = first.headers.get("x-durable-run-id")!;
    // the deadline won and was recorded; the event comes late
    await expect.poll(async () => (await store.getStep(runId, "record"))?.status, { timeout: 10_000 }).toBe("completed");
    await inngest.send({ name: "race/approved" });
    const final = await follow(handler, first);
    expect(await final.json()).toEqual({ winner: "timed-out", recorded: "timed-out" });
  });
});

describe("event delivery (postgres, connection cut)", () => {
  test("a send() cut after its event was written can be retried with the same id: the event is not lost", async () => {
    const proxy = await startPgProxy({ target: testPostgresUrl() });
    try {
      const { inngest } = testClient({ store: await storeKinds.postgres({ url: proxy.url() }), pollMs: 500 });
      const handler = inngest.endpoint(async () => {
        const approval = await step.waitForEvent("approval", { event: "pay/approved", timeout: "3s" });
        return Response.json({ approval: approval?.id ?? null });
      });
      const first = await handler(req("/api/pay"));
      expect(first.status).toBe(303);
      // the event's row is written, then the connection drops before send() hears back
      const cut = proxy.fault({ after: /INSERT INTO "[^"]+"\.events/ });
      await expect(inngest.send({ name: "pay/approved", id: "evt-1" })).rejects.toThrow();
      await cut.fired;
      // the caller retries with the same id, as it should after a failure
      await inngest.send({ name: "pay/approved", id: "evt-1" });
      const final = await follow(handler, first);
      expect(await final.json()).toEqual({ approval: "evt-1" });
    } finally {
      await proxy.close();
    }
  });
});
