/**
 * Cancellation end to end, through Request/Response, on the memory store, on
 * SQLite and on Postgres: a run cancelled in each state it can be in, and what
 * polls, re-attaches, events and timers see afterwards. (A run queued for a
 * concurrency slot: the store cases in stores/concurrency-cases.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { cancelRun, deserialize, NonRetriableError, step, type Store } from "@durable-endpoints/runtime";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";
import { testPostgresUrl } from "../../../test/support/postgres.mjs";
import { realClock, withClock } from "@durable-endpoints/runtime/testing";
import { type ClaimPass, closeClients, follow, observeClaims, req, sleep, testClient, until } from "./helpers.js";
import { dropSchemas } from "./streams/helpers.js";

afterEach(closeClients);
const dir = mkdtempSync(join(tmpdir(), "durable-cancel-"));
const pgUrl = testPostgresUrl();
const schemaPrefix = `cancel_test_${process.pid}_`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas(pgUrl, schemaPrefix);
});

let n = 0;
const stores: Record<string, () => Store> = {
  memory: () => memoryStore(),
  sqlite: () => sqliteStore({ path: join(dir, `cancel-${++n}.db`) }),
  postgres: () => postgresStore({ connectionString: pgUrl, schema: `${schemaPrefix}${++n}` }),
};

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const runIdOf = (res: Response) => res.headers.get("x-durable-run-id")!;
const locationOf = (res: Response) => res.headers.get("location")!;

async function expectCancelled(res: Response, runId: string, reason: string | null) {
  expect(res.status).toBe(409);
  expect(res.headers.get("x-durable-run-id")).toBe(runId);
  const body = await res.json();
  expect(body).toEqual({
    error: {
      name: "RunCancelled",
      message: reason === null ? "The run was cancelled" : `The run was cancelled: ${reason}`,
      runId,
      reason,
      cancelledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    },
  });
}

describe.each(Object.keys(stores))("cancellation (%s store)", (kind) => {
  const client = (options: Parameters<typeof testClient>[0] = {}) => testClient({ store: stores[kind]!(), ...options });

  test("a sleeping run: DELETE on its poll URL cancels it at once; polls and re-attaches get 409; its timer is dropped", async () => {
    const { inngest, store } = client();
    let after = 0;
    const handler = inngest.endpoint(async () => {
      await step.sleep("nap", "300ms");
      after++;
      return new Response("woke");
    });
    const key = { headers: { "idempotency-key": "sleepy" } };
    const first = await handler(req("/api/nap", key));
    expect(first.status).toBe(303);
    const runId = runIdOf(first);

    const deleted = await handler(req(`${locationOf(first)}&reason=${encodeURIComponent("no longer needed")}`, { method: "DELETE" }));
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get("x-durable-run-id")).toBe(runId);
    expect(await deleted.json()).toEqual({ runId, status: "cancelled" });

    await expectCancelled(await handler(req(locationOf(first))), runId, "no longer needed");
    await expectCancelled(await handler(req("/api/nap", key)), runId, "no longer needed");
    // DELETE again: still cancelled, the first reason stays
    expect((await handler(req(locationOf(first), { method: "DELETE" }))).status).toBe(200);
    await expectCancelled(await handler(req(locationOf(first))), runId, "no longer needed");

    // the scheduler never claims it: the sleep's end passes and nothing runs
    expect(await store.nextWakeAt([`test-app:/api/nap`], 0)).toBeNull();
    await inngest.start();
    await sleep(700);
    expect(after).toBe(0);
    expect(await store.getRun(runId)).toMatchObject({ status: "cancelled", leaseOwner: null, wakeAt: null });
  });

  test("a run waiting for an event: cancel() drops its wait; the event resumes nothing", async () => {
    const { inngest, store } = client();
    let after = 0;
    const handler = inngest.endpoint(async () => {
      const paid = await step.waitForEvent("paid", { event: "order/paid", match: "data.order", timeout: "1h" });
      after++;
      return Response.json({ paid });
    });
    const first = await handler(req("/api/order?order=7"));
    expect(first.status).toBe(303);
    const runId = runIdOf(first);
    expect(await store.findWaits("order/paid", Date.now())).toHaveLength(1);

    expect(await inngest.cancel(runId)).toEqual({ runId, status: "cancelled", changed: true });
    expect(await store.findWaits("order/paid", Date.now())).toEqual([]);
    await inngest.send({ name: "order/paid", data: { order: "7" } });
    await expectCancelled(await handler(req(locationOf(first))), runId, null);
    await sleep(100);
    expect(after).toBe(0);
    expect(await store.getStep(runId, "paid")).toMatchObject({ status: "waiting" });
  });

  test("a run waiting to retry a failed step: the retry never happens", async () => {
    // A clock that stands still until the test moves it: the retry is due only once the run is cancelled (on
    // a loaded machine 150 real ms can pass before the cancel, and then the retry rightly runs first).
    let now = Date.now();
    // the scheduler's passes: the time each claimed at, and what it claimed
    const passes: ClaimPass[] = [];
    const store = observeClaims(stores[kind]!(), passes);
    const { inngest } = testClient(withClock({ store, backoff: { initial: 150, max: 150 } }, { ...realClock, now: () => now }));
    let attempts = 0;
    const handler = inngest.endpoint(async () => {
      await step.run("flaky", () => {
        attempts++;
        throw new Error("down");
      });
      return new Response("never");
    });
    const first = await handler(req("/api/flaky"));
    expect(first.status).toBe(303);
    const runId = runIdOf(first);
    expect(await store.getStep(runId, "flaky")).toMatchObject({ status: "retrying", attempts: 1 });

    expect(await inngest.cancel(runId, { reason: "giving up" })).toMatchObject({ status: "cancelled", changed: true });
    // an hour later a run of another endpoint suspends for a millisecond: the scheduler's next pass claims at this time
    const later = (now += 3_600_000);
    const nap = inngest.endpoint(async () => {
      await step.sleep("nap", "1ms");
      return new Response("woke");
    });
    expect((await nap(req("/api/nap"))).status).toBe(303);
    await until(() => passes.some((p) => p.at >= later), "the scheduler claimed due runs after the retry's time");
    expect(passes.flatMap((p) => p.claimed)).not.toContain(runId);
    expect(attempts).toBe(1);
    await expectCancelled(await handler(req(locationOf(first))), runId, "giving up");
  });

  test("a step in flight finishes and is kept, nothing after it runs, req.signal aborts; the inline request gets 409", async () => {
    const { inngest, store } = client();
    const started = deferred();
    const release = deferred();
    const seen = { after: 0, next: 0, abortedIn: "" as string };
    const handler = inngest.endpoint(async (request) => {
      request.signal.addEventListener("abort", () => (seen.abortedIn = (request.signal.reason as Error).name));
      const slow = await step.run("slow", async () => {
        started.resolve();
        await release.promise;
        return { charged: 42 };
      });
      seen.after++;
      await step.run("next", () => seen.next++);
      return Response.json(slow);
    });
    const inline = handler(req("/api/slow", { headers: { "idempotency-key": "slow-1" } }));
    await started.promise;
    const [running] = await store.listRuns();
    const runId = running!.id;
    expect(running).toMatchObject({ status: "running" });

    expect(await inngest.cancel(runId, { reason: "stop" })).toEqual({ runId, status: "cancelled", changed: true });
    expect(seen.abortedIn).toBe("AbortError");
    release.resolve();
    const res = await inline;
    await expectCancelled(res, runId, "stop");
    expect(seen).toEqual({ after: 0, next: 0, abortedIn: "AbortError" });
    const kept = await store.getStep(runId, "slow");
    expect(kept).toMatchObject({ status: "completed" });
    expect(deserialize(kept!.output!)).toEqual({ charged: 42 });
    expect(await store.getStep(runId, "next")).toBeNull();
    expect(await store.getRun(runId)).toMatchObject({ status: "cancelled", leaseOwner: null });
    // a re-attach replays the cancellation; nothing is resumed
    await expectCancelled(await handler(req("/api/slow", { headers: { "idempotency-key": "slow-1" } })), runId, "stop");
    expect(seen.after).toBe(0);
  });

  test("a finished run (completed or failed) cannot be cancelled: DELETE 409 RunFinished, cancel() changes nothing", async () => {
    const { inngest } = client();
    // a wait no clock can end: the run always suspends (a 10 ms sleep that had elapsed by the time it
    // was checked finished inline, with no poll URL: the DELETE then went to "http://localhostnull")
    const handler = inngest.endpoint(async () => {
      await step.waitForEvent("go", { event: "test/go", timeout: "1h" });
      return new Response("done");
    });
    const first = await handler(req("/api/done"));
    expect(first.status).toBe(303);
    await inngest.send({ name: "test/go" });
    const final = await follow(handler, first);
    expect(await final.text()).toBe("done");
    const runId = runIdOf(first);

    const deleted = await handler(req(locationOf(first), { method: "DELETE" }));
    expect(deleted.status).toBe(409);
    expect(await deleted.json()).toEqual({
      error: { name: "RunFinished", message: "The run already completed; it cannot be cancelled", runId, status: "completed" },
    });
    expect(await inngest.cancel(runId)).toEqual({ runId, status: "completed", changed: false });
    expect(await (await handler(req(locationOf(first)))).text()).toBe("done");
    expect(await inngest.cancel("no-such-run")).toBeNull();

    // a failed run: the same 409, naming its status; polls still get its 500
    const failing = inngest.endpoint(async () => {
      await step.waitForEvent("go", { event: "test/fail", timeout: "1h" });
      await step.run("boom", () => Promise.reject(new NonRetriableError("broken")));
      return new Response("never");
    });
    const started = await failing(req("/api/failing"));
    expect(started.status).toBe(303);
    await inngest.send({ name: "test/fail" });
    expect((await follow(failing, started)).status).toBe(500);
    const failedId = runIdOf(started);
    const refused = await failing(req(locationOf(started), { method: "DELETE" }));
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      error: { name: "RunFinished", message: "The run already failed; it cannot be cancelled", runId: failedId, status: "failed" },
    });
    expect(await inngest.cancel(failedId)).toEqual({ runId: failedId, status: "failed", changed: false });
    expect((await failing(req(locationOf(started)))).status).toBe(500);
  });

  test("DELETE with a bad token is 404 and changes nothing; an overlong reason is 400", async () => {
    const { inngest, store } = client();
    const handler = inngest.endpoint(async () => {
      await step.sleep("nap", "1h");
      return new Response("never");
    });
    const first = await handler(req("/api/nap"));
    const runId = runIdOf(first);
    const location = locationOf(first);
    // a character well inside the MAC (the last one carries 2 padding bits of base64)
    const at = location.length - 10;
    const tampered = location.slice(0, at) + (location[at] === "A" ? "B" : "A") + location.slice(at + 1);
    expect((await handler(req(tampered, { method: "DELETE" }))).status).toBe(404);
    const other = inngest.endpoint(async () => new Response("x"));
    expect((await other(req(location.replace("/api/nap", "/api/other"), { method: "DELETE" }))).status).toBe(404);
    const long = await handler(req(`${location}&reason=${"x".repeat(1001)}`, { method: "DELETE" }));
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({ error: { name: "HttpError", message: "The cancellation reason is 1001 characters long; at most 1000 are allowed" } });
    expect(await store.getRun(runId)).toMatchObject({ status: "waiting" });
    await expect(inngest.cancel(runId, { reason: "x".repeat(1001) })).rejects.toThrow(/at most 1000 characters/);
  });
});

describe("cancellation by another process (a second client on the same SQLite file, as the CLI does)", () => {
  const twoClients = (leaseMs: number) => {
    const path = join(dir, `shared-${++n}.db`);
    const executing = testClient({ store: sqliteStore({ path }), leaseMs });
    const controller = sqliteStore({ path });
    return { executing, controller };
  };

  test("an execution waiting in a step notices at its next lease renewal: req.signal aborts, the step's outcome is kept", async () => {
    const { executing, controller } = twoClients(300);
    const started = deferred();
    let next = 0;
    const handler = executing.inngest.endpoint(async (request) => {
      const outcome = await step.run("long", async () => {
        started.resolve();
        // a well-behaved step: it stops when the request is aborted
        await new Promise((resolve) => request.signal.addEventListener("abort", resolve, { once: true }));
        return "stopped early";
      });
      await step.run("next", () => next++);
      return new Response(outcome);
    });
    const inline = handler(req("/api/long"));
    await started.promise;
    const [run] = await controller.listRuns();
    expect(await cancelRun(controller, run!.id, { reason: "from the CLI" })).toMatchObject({ changed: true });
    await expectCancelled(await inline, run!.id, "from the CLI");
    expect(deserialize((await controller.getStep(run!.id, "long"))!.output!)).toBe("stopped early");
    expect(await controller.getStep(run!.id, "next")).toBeNull();
    expect(next).toBe(0);
    await controller.close();
  });

  test("an execution whose step finishes before a renewal notices when its checkpoint is refused", async () => {
    const { executing, controller } = twoClients(60_000);
    const started = deferred();
    const release = deferred();
    let next = 0;
    const handler = executing.inngest.endpoint(async () => {
      const value = await step.run("one", async () => {
        started.resolve();
        await release.promise;
        return 1;
      });
      await step.run("next", () => next++);
      return Response.json({ value });
    });
    const inline = handler(req("/api/one"));
    await started.promise;
    const [run] = await controller.listRuns();
    await cancelRun(controller, run!.id);
    release.resolve();
    await expectCancelled(await inline, run!.id, null);
    expect(await controller.getStep(run!.id, "one")).toMatchObject({ status: "completed" });
    expect(await controller.getStep(run!.id, "next")).toBeNull();
    expect(next).toBe(0);
    await controller.close();
  });
});
