import { afterEach, describe, expect, test } from "vitest";
import { sendEvents, step } from "@durable-endpoints/runtime";
import { realClock, withClock } from "@durable-endpoints/runtime/testing";
import { closeClients, follow, req, sleep, testClient } from "./helpers.js";

afterEach(closeClients);

function approvalEndpoint(options: { match?: string; if?: string; timeout?: string } = {}) {
  const t = testClient();
  const handler = t.inngest.endpoint(async () => {
    const approval = await step.waitForEvent("approval", {
      event: "approval/received",
      timeout: options.timeout ?? "5s",
      ...(options.match ? { match: options.match } : {}),
      ...(options.if ? { if: options.if } : {}),
    });
    return Response.json({ approval });
  });
  return { ...t, handler };
}

describe("waitForEvent", () => {
  test("match: only an event with the same data.requestId resolves the wait", async () => {
    const { inngest, handler } = approvalEndpoint({ match: "data.requestId" });
    const first = await handler(req("/api/approve?requestId=r-1"));
    expect(first.status).toBe(303);
    await inngest.send({ name: "approval/received", data: { requestId: "r-2", ok: false } });
    await inngest.send({ name: "approval/received", data: { requestId: "r-1", ok: true }, id: "evt-1" });
    const body = await (await follow(handler, first)).json();
    expect(body.approval).toMatchObject({ name: "approval/received", id: "evt-1", data: { requestId: "r-1", ok: true } });
    expect(typeof body.approval.ts).toBe("number");
  });

  test("match against a JSON body field of the trigger request", async () => {
    const { inngest, handler } = approvalEndpoint({ match: "data.orderId" });
    const first = await handler(
      req("/api/approve", { method: "POST", body: JSON.stringify({ orderId: 42 }), headers: { "content-type": "application/json" } }),
    );
    await inngest.send({ name: "approval/received", data: { orderId: 41 } });
    await inngest.send({ name: "approval/received", data: { orderId: 42 } });
    expect((await (await follow(handler, first)).json()).approval.data).toEqual({ orderId: 42 });
  });

  test("if: a CEL expression over event (trigger) and async (incoming)", async () => {
    const { inngest, handler } = approvalEndpoint({ if: "event.data.user == async.data.user && async.data.ok == true" });
    const first = await handler(req("/api/approve?user=ada"));
    await inngest.send({ name: "approval/received", data: { user: "ada", ok: false } });
    await inngest.send({ name: "approval/received", data: { user: "bob", ok: true } });
    await inngest.send({ name: "approval/received", data: { user: "ada" } }); // field missing: no match, no error
    await inngest.send({ name: "approval/received", data: { user: "ada", ok: true } });
    expect((await (await follow(handler, first)).json()).approval.data).toEqual({ user: "ada", ok: true });
  });

  test("timeout resolves to null", async () => {
    const { handler } = approvalEndpoint({ timeout: "30ms" });
    const final = await follow(handler, await handler(req("/api/approve")));
    expect(await final.json()).toEqual({ approval: null });
  });

  test("an event sent before the wait began does not count", async () => {
    const { inngest, handler } = approvalEndpoint({ timeout: "60ms" });
    await inngest.send({ name: "approval/received", data: {} });
    await sleep(2);
    const final = await follow(handler, await handler(req("/api/approve")));
    expect(await final.json()).toEqual({ approval: null });
  });

  test("events are deduplicated by id", async () => {
    const t = testClient();
    const handler = t.inngest.endpoint(async () => {
      const a = await step.waitForEvent("first", { event: "ping", timeout: "5s" });
      const b = await step.waitForEvent("second", { event: "ping", timeout: "80ms" });
      return Response.json({ a: a?.id, b });
    });
    const first = await handler(req("/api/ping"));
    await t.inngest.send({ name: "ping", id: "same" });
    // wait until the run waits in "second", then send the same id again: ignored
    for (let i = 0; i < 100; i++) {
      if ((await t.store.getStep(first.headers.get("x-durable-run-id")!, "second")) !== null) break;
      await sleep(5);
    }
    await t.inngest.send({ name: "ping", id: "same" });
    expect(await (await follow(handler, first)).json()).toEqual({ a: "same", b: null });
  });

  /** Polls until the run's step `stepId` is stored with `status`. */
  async function stepReaches(t: ReturnType<typeof testClient>, runId: string, stepId: string, status: string) {
    for (let i = 0; i < 400; i++) {
      if ((await t.store.getStep(runId, stepId))?.status === status) return;
      await sleep(5);
    }
    throw new Error(`step "${stepId}" of run ${runId} never became ${status}`);
  }

  /**
   * A run that waits for "ping" twice, `between` running between the two waits: event "one" (`ts` = `oneTs`)
   * is sent once it waits in "first"; returns once it waits in "second", with what its Response will say.
   */
  async function twoWaits(t: ReturnType<typeof testClient>, { between = async () => {}, oneTs }: { between?: () => Promise<unknown>; oneTs?: number } = {}) {
    const handler = t.inngest.endpoint(async () => {
      const a = await step.waitForEvent("first", { event: "ping", timeout: "1h" });
      await between();
      const b = await step.waitForEvent("second", { event: "ping", timeout: "2h" });
      return Response.json({ a: a?.id, b: b?.id });
    });
    const first = await handler(req("/api/ping"));
    const runId = first.headers.get("x-durable-run-id")!;
    await stepReaches(t, runId, "first", "waiting");
    await t.inngest.send({ name: "ping", id: "one", ts: oneTs });
    await stepReaches(t, runId, "second", "waiting");
    return { runId, answer: async () => (await follow(handler, first)).json() };
  }

  test("an event that resolved one wait never resolves a wait the run began after it, even in the same millisecond", async () => {
    // every "now" of this client is one millisecond: the event, the second wait's beginning and the re-send share it
    const T = Date.now();
    const t = testClient(withClock({}, { ...realClock, now: () => T }));
    const { runId, answer } = await twoWaits(t);
    await sleep(20);
    // the same id again: its stored copy is delivered again, but not to a wait that began after it resolved "first"
    await t.inngest.send({ name: "ping", id: "one" });
    await sleep(20);
    expect(await t.store.getStep(runId, "second")).toMatchObject({ status: "waiting" });
    await t.inngest.send({ name: "ping", id: "two" });
    expect(await answer()).toEqual({ a: "one", b: "two" });
  });

  test("what a run's waits received survives a suspension: a later wait on a clock set back does not take it", async () => {
    let offset = 0;
    const t = testClient(withClock({}, { ...realClock, now: () => realClock.now() + offset }));
    const between = async () => {
      // the machine's clock is set back a minute (or the run moves to an instance whose clock is behind)
      await step.run("set back", () => void (offset = -60_000));
      await step.sleep("pause", "1ms");
    };
    const { answer } = await twoWaits(t, { between });
    // from a sender whose clock is right
    await t.inngest.send({ name: "ping", id: "two", ts: Date.now() });
    expect(await answer()).toEqual({ a: "one", b: "two" });
  });

  test("an event received with a `ts` a day ahead keeps only itself out of a later wait: events sent meanwhile count", async () => {
    const t = testClient();
    const { answer } = await twoWaits(t, { oneTs: Date.now() + 86_400_000 });
    await t.inngest.send({ name: "ping", id: "two" });
    expect(await answer()).toEqual({ a: "one", b: "two" });
  });

  test("an event the run sent itself never resolves a wait it begins after sending it, even in the same millisecond", async () => {
    const T = Date.now();
    const t = testClient(withClock({}, { ...realClock, now: () => T }));
    const handler = t.inngest.endpoint(async () => {
      await step.run("emit", () => t.inngest.send({ name: "ping", id: "mine" }));
      const got = await step.waitForEvent("wait", { event: "ping", timeout: "1h" });
      return Response.json({ got: got?.id });
    });
    const first = await handler(req("/api/emit"));
    await stepReaches(t, first.headers.get("x-durable-run-id")!, "wait", "waiting");
    await t.inngest.send({ name: "ping", id: "theirs" });
    expect(await (await follow(handler, first)).json()).toEqual({ got: "theirs" });
  });

  test("an invalid `if` expression is a clear error when waitForEvent is called", async () => {
    const { handler } = approvalEndpoint({ if: "event.data.x ==" });
    const res = await handler(req("/api/approve"));
    expect(res.status).toBe(500);
    const { error } = await res.json();
    expect(error.message).toMatch(/waitForEvent\("approval"\): invalid "if" expression/);
  });

  test("send validates events", async () => {
    const { inngest } = testClient();
    await expect(inngest.send({ name: "" })).rejects.toThrow(/non-empty "name"/);
    await expect(inngest.send({ name: "a", data: [1, 2] as never })).rejects.toThrow(/"data" of event "a" must be an object/);
    const { ids } = await inngest.send([{ name: "a" }, { name: "b", id: "fixed" }]);
    expect(ids[1]).toBe("fixed");
    expect(ids[0]).toMatch(/^[\w-]{22}$/);
  });

  test("sendEvents delivers over a store without a client: the instance serving the endpoint resumes the run", async () => {
    const { handler, store } = approvalEndpoint({ match: "data.requestId" });
    const waiting = await handler(req("/api/approve?requestId=r-9"));
    expect(waiting.status).toBe(303);
    // a tool holding only the store (the run inspector) sends the event
    expect(await sendEvents(store, { name: "approval/received", data: { requestId: "r-8" } })).toMatchObject({ woken: [] });
    const sent = await sendEvents(store, { name: "approval/received", data: { requestId: "r-9", by: "inspector" }, id: "evt-9" });
    expect(sent).toEqual({ ids: ["evt-9"], woken: [waiting.headers.get("X-Durable-Run-Id")] });
    const done = await follow(handler, waiting);
    expect((await done.json()).approval).toMatchObject({ name: "approval/received", id: "evt-9", data: { by: "inspector" } });
    await expect(sendEvents(store, { name: "" })).rejects.toThrow(TypeError);
  });
});
