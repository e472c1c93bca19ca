/**
 * The executable contract of `Store` (src/store.ts). Every store runs it:
 *
 *   describeStoreConformance("sqlite", () => { const path = tmpFile(); return () => sqliteStore({ path }); }, { shared: true });
 *
 * `makeStore` is called once per test and prepares a fresh, empty location
 * (file, schema…); the factory it returns opens an instance on that location.
 * With `shared: true` the factory is called again to get a second instance —
 * another connection, as another process would have — for the cross-instance
 * cases (notifications, concurrent claims and resolves).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Checkpoint, RunRecord, StepRecord, Store, WaitRecord } from "../../src/store.js";
import { applyLocalsEdit } from "../../src/store.js";
import { eventMatcher, matchKey } from "../../src/events.js";
import { describeRunControlCases } from "./run-control-cases.js";
import { describeStreamConformance } from "./conformance-streams.js";
import { describeConcurrencyCases } from "./concurrency-cases.js";

export type StoreFactory = () => Store | Promise<Store>;

export interface ConformanceOptions {
  /** Instances from one factory share their data (SQLite file, Postgres schema). */
  shared?: boolean;
}

const EP = "app:/checkout";
const TTL = 30_000;

let seq = 0;
const uid = (prefix: string) => `${prefix}-${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

export function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const now = Date.now();
  return {
    id: uid("run"),
    endpoint: EP,
    version: "v1",
    status: "running",
    state: 0,
    locals: null,
    counters: null,
    request: JSON.stringify({ method: "POST", url: "http://x/checkout?a=1", body: "héllo ✓" }),
    trigger: JSON.stringify({ a: "1" }),
    idempotencyKey: null,
    requestHash: "hash-1",
    result: null,
    wakeAt: null,
    leaseOwner: "owner-a",
    leaseExpiresAt: now + TTL,
    fence: 1,
    stepsDone: 0,
    concurrency: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function makeStep(runId: string, id: string, overrides: Partial<StepRecord> = {}): StepRecord {
  const now = Date.now();
  return { runId, id, kind: "run", status: "completed", attempts: 0, output: JSON.stringify(id), wakeAt: null, startedAt: now, updatedAt: now, ...overrides };
}

export function makeWait(runId: string, stepId: string, overrides: Partial<WaitRecord> = {}): WaitRecord {
  const now = Date.now();
  return { runId, stepId, event: "order/paid", match: "data.orderId", matchKey: matchKey(1), expr: null, since: now, seen: null, timeoutAt: now + 60_000, ...overrides };
}

/** What wokenFromAnotherInstance does before the waiter starts: the run's fields, and a first action on this instance. */
export interface WakeSetup {
  run?: Partial<RunRecord>;
  before?: (store: Store, run: RunRecord) => Promise<unknown>;
}

/** The checkpoint (fence 1) of a run that suspends in waitForEvent step `stepId` until `wakeAt`, releasing its lease. */
export function waitingCheckpoint(runId: string, stepId: string, wakeAt: number, wait: Partial<WaitRecord> = {}): Checkpoint {
  return {
    runId,
    fence: 1,
    step: makeStep(runId, stepId, { kind: "waitForEvent", status: "waiting", output: null, wakeAt }),
    wait: makeWait(runId, stepId, wait),
    run: { status: "waiting", wakeAt },
    releaseLease: true,
  };
}

/** Settles to "changed" if `promise` resolves within `ms`, else "pending". */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<"changed" | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"pending">((resolve) => (timer = setTimeout(() => resolve("pending"), ms)));
  try {
    return await Promise.race([promise.then(() => "changed" as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Gives a store time to start listening. A store may wake waiters spuriously
 * when it starts (Postgres: every waiter is woken once its LISTEN connection is
 * up, as notifications may have been missed) — tests that assert "no wake-up"
 * call this first.
 */
async function listening(store: Store): Promise<void> {
  await store.waitForChange("warm-up", AbortSignal.timeout(200));
}

/** Resolves the first time `store` reports due work. */
function nextDue(store: Store): { promise: Promise<void>; unsubscribe: () => void } {
  let unsubscribe = () => {};
  const promise = new Promise<void>((resolve) => {
    unsubscribe = store.onDue(() => {
      unsubscribe();
      resolve();
    });
  });
  return { promise, unsubscribe: () => unsubscribe() };
}

export function describeStoreConformance(name: string, makeStore: () => StoreFactory | Promise<StoreFactory>, options: ConformanceOptions = {}) {
  describe(`Store conformance: ${name}`, () => {
    const opened: Store[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    /** A fresh location and one instance on it; `another()` opens a second instance (shared stores only). */
    async function setup() {
      const factory = await makeStore();
      const open = async () => {
        const store = await factory();
        opened.push(store);
        return store;
      };
      return { store: await open(), another: open };
    }

    /** Creates a run and returns it as stored. */
    async function insert(store: Store, overrides: Partial<RunRecord> = {}) {
      const result = await store.createRun(makeRun(overrides));
      expect(result.created).toBe(true);
      return result.run;
    }

    const itShared = options.shared ? it : it.skip;

    /**
     * A waitForChange on one instance stays pending until `act` changes the run from another instance, then
     * wakes. `before` runs on the first instance before the waiter starts.
     */
    async function wokenFromAnotherInstance(act: (other: Store, run: RunRecord) => Promise<unknown>, { run: overrides, before }: WakeSetup = {}) {
      const { store, another } = await setup();
      const other = await another();
      const run = await insert(store, overrides);
      await before?.(store, run);
      await listening(store);
      const changed = store.waitForChange(run.id, new AbortController().signal);
      expect(await settlesWithin(changed, 150)).toBe("pending");
      await act(other, run);
      expect(await settlesWithin(changed, 3000)).toBe("changed");
    }

    describeRunControlCases({ setup, insert, itShared, makeStep, makeWait, waitingCheckpoint, settlesWithin, listening, wokenFromAnotherInstance, endpoint: EP, ttl: TTL });
    describeStreamConformance({ setup, insert, settlesWithin, listening, shared: options.shared === true });
    describeConcurrencyCases({ setup, insert, itShared, nextDue, settlesWithin, listening, endpoint: EP, ttl: TTL });

    describe("runs", () => {
      it("createRun stores every field and getRun returns it", async () => {
        const { store } = await setup();
        const run = makeRun({ locals: '{"x":1}', counters: '{"a":2}', result: null, wakeAt: 123, idempotencyKey: "k-1", state: 7, stepsDone: 3, fence: 4 });
        expect(await store.createRun(run)).toEqual({ created: true, run });
        expect(await store.getRun(run.id)).toEqual(run);
        expect(await store.getRun("no-such-run")).toBeNull();
      });

      it("createRun with a known Idempotency-Key returns the existing run and inserts nothing", async () => {
        const { store } = await setup();
        const first = await insert(store, { idempotencyKey: "key-1" });
        const again = await store.createRun(makeRun({ idempotencyKey: "key-1", requestHash: "other" }));
        expect(again).toEqual({ created: false, run: first });
        expect((await store.listRuns()).map((r) => r.id)).toEqual([first.id]);
        // Keys are scoped to the endpoint, and runs without a key never collide.
        expect((await store.createRun(makeRun({ idempotencyKey: "key-1", endpoint: "app:/other" }))).created).toBe(true);
        expect((await store.createRun(makeRun())).created).toBe(true);
        expect((await store.createRun(makeRun())).created).toBe(true);
      });

      it("concurrent createRun with one Idempotency-Key creates exactly one run", async () => {
        const { store, another } = await setup();
        const stores = options.shared ? [store, await another()] : [store];
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => stores[i % stores.length]!.createRun(makeRun({ idempotencyKey: "same" }))),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
      });

      it("listRuns returns newest first, with limit and endpoint filter", async () => {
        const { store } = await setup();
        const now = Date.now();
        const a = await insert(store, { createdAt: now - 3000 });
        const b = await insert(store, { createdAt: now - 2000, endpoint: "app:/other" });
        const c = await insert(store, { createdAt: now - 1000 });
        expect((await store.listRuns()).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
        expect((await store.listRuns({ limit: 2 })).map((r) => r.id)).toEqual([c.id, b.id]);
        expect((await store.listRuns({ endpoint: EP })).map((r) => r.id)).toEqual([c.id, a.id]);
        expect(await store.listRuns({ endpoint: "app:/none" })).toEqual([]);
      });

      it("listRuns filters by status, Idempotency-Key and creation time, combined", async () => {
        const { store } = await setup();
        const t = Date.now() - 10_000;
        const done = await insert(store, { createdAt: t, status: "completed", result: "r", leaseOwner: null, leaseExpiresAt: null });
        // keys are stored scoped per caller, "<scope>:<key>"; the filter takes the caller's key
        const keyed = await insert(store, { createdAt: t + 1000, idempotencyKey: "scope-a:order-7" });
        const waiting = await insert(store, { createdAt: t + 2000, status: "waiting", wakeAt: t + 5000, idempotencyKey: "scope-a:x:order-7" });
        const otherKeyed = await insert(store, { createdAt: t + 3000, idempotencyKey: "scope-b:order-7", endpoint: "app:/other" });
        const ids = async (options: Parameters<Store["listRuns"]>[0]) => (await store.listRuns(options)).map((r) => r.id);

        expect(await ids({ status: "completed" })).toEqual([done.id]);
        expect(await ids({ status: "running" })).toEqual([otherKeyed.id, keyed.id]);
        expect(await ids({ status: "failed" })).toEqual([]);
        expect(await ids({ idempotencyKey: "order-7" })).toEqual([otherKeyed.id, keyed.id]);
        expect(await ids({ idempotencyKey: "order-7", endpoint: EP })).toEqual([keyed.id]);
        expect(await ids({ idempotencyKey: "x:order-7" })).toEqual([waiting.id]); // a key with a ":" of its own
        expect(await ids({ idempotencyKey: "scope-a:order-7" })).toEqual([]);
        expect(await ids({ idempotencyKey: "order" })).toEqual([]);
        // createdFrom is inclusive, createdTo exclusive
        expect(await ids({ createdFrom: t + 1000, createdTo: t + 3000 })).toEqual([waiting.id, keyed.id]);
        expect(await ids({ createdFrom: t + 2001 })).toEqual([otherKeyed.id]);
        expect(await ids({ createdTo: t + 1 })).toEqual([done.id]);
        expect(await ids({ status: "running", createdTo: t + 3000, limit: 5 })).toEqual([keyed.id]);
      });

      it("listRuns pages with `after`: every run once, ties in creation time in insertion order (newest first)", async () => {
        const { store } = await setup();
        const t = Date.now() - 10_000;
        // three runs created in the same millisecond, around two others
        const created = [];
        for (const at of [t, t + 1, t + 1, t + 1, t + 2]) created.push(await insert(store, { createdAt: at }));
        const expected = created.map((r) => r.id).reverse();
        expect((await store.listRuns()).map((r) => r.id)).toEqual(expected);

        const pages: string[][] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.listRuns({ limit: 2, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          pages.push(page.map((r) => r.id));
          after = page.at(-1)!.id;
        }
        expect(pages).toEqual([expected.slice(0, 2), expected.slice(2, 4), expected.slice(4)]);
        // the cursor combines with filters; an unknown cursor selects nothing
        expect((await store.listRuns({ after: expected[1]!, createdFrom: t + 1 })).map((r) => r.id)).toEqual(expected.slice(2, 4));
        expect(await store.listRuns({ after: "no-such-run" })).toEqual([]);
      });
    });

    describe("leases", () => {
      it("acquireLease takes a free or expired lease and bumps the fence; refuses a live lease, even to its own holder", async () => {
        const { store } = await setup();
        const now = Date.now();
        const live = await insert(store, { leaseOwner: "owner-a", leaseExpiresAt: now + TTL, fence: 1 });
        expect(await store.acquireLease(live.id, "owner-b", TTL, now)).toBeNull();

        // past its end (its holder died). Shared stores time leases by their own clock: the lease ends in
        // time, not by a later `now` passed in
        const run = await insert(store, { leaseOwner: "owner-a", leaseExpiresAt: now - 1, fence: 1 });
        const taken = await store.acquireLease(run.id, "owner-b", 5000, now);
        expect(taken).toMatchObject({ id: run.id, leaseOwner: "owner-b", leaseExpiresAt: now + 5000, fence: 2 });
        expect(await store.getRun(run.id)).toMatchObject({ leaseOwner: "owner-b", fence: 2 });

        // Not even its holder takes a live lease twice: two claims of one process (its scheduler and a
        // retried request) must not both succeed. A released lease is free for anyone.
        expect(await store.acquireLease(run.id, "owner-b", 5000, now)).toBeNull();
        await store.releaseLease(run.id, 2);
        expect(await store.acquireLease(run.id, "owner-c", 5000, now)).toMatchObject({ leaseOwner: "owner-c", fence: 3 });
        expect(await store.acquireLease("no-such-run", "owner-c", 5000, now)).toBeNull();
      });

      it("acquireLease works on waiting runs and never on finished ones", async () => {
        const { store } = await setup();
        const now = Date.now();
        const waiting = await insert(store, { status: "waiting", wakeAt: now + 1000, leaseOwner: null, leaseExpiresAt: null });
        expect(await store.acquireLease(waiting.id, "owner-b", TTL, now)).toMatchObject({ status: "waiting", leaseOwner: "owner-b" });
        for (const status of ["completed", "failed"] as const) {
          const done = await insert(store, { status, result: "r", leaseOwner: null, leaseExpiresAt: null });
          expect(await store.acquireLease(done.id, "owner-b", TTL, now)).toBeNull();
        }
      });

      it("renewLease extends only the current fence's lease", async () => {
        const { store } = await setup();
        const now = Date.now();
        const run = await insert(store, { fence: 5 });
        expect(await store.renewLease(run.id, 5, 60_000, now)).toBe(true);
        expect((await store.getRun(run.id))!.leaseExpiresAt).toBe(now + 60_000);
        expect(await store.renewLease(run.id, 4, 60_000, now)).toBe(false);
        await store.releaseLease(run.id, 5);
        expect(await store.renewLease(run.id, 5, 60_000, now)).toBe(false);
        expect(await store.renewLease("no-such-run", 5, 60_000, now)).toBe(false);
      });

      it("releaseLease clears owner and expiry only, and ignores a stale fence", async () => {
        const { store } = await setup();
        const run = await insert(store, { fence: 2, state: 4, stepsDone: 2 });
        await store.releaseLease(run.id, 1);
        expect(await store.getRun(run.id)).toMatchObject({ leaseOwner: "owner-a", fence: 2 });
        await store.releaseLease(run.id, 2);
        expect(await store.getRun(run.id)).toMatchObject({ leaseOwner: null, leaseExpiresAt: null, fence: 2, state: 4, stepsDone: 2, status: "running" });
      });
    });

    describe("checkpoint", () => {
      it("writes the step, the wait and the run patch together", async () => {
        const { store } = await setup();
        const now = Date.now();
        const run = await insert(store, { fence: 3 });
        const step = makeStep(run.id, "pay", { kind: "waitForEvent", status: "waiting", output: null, wakeAt: now + 60_000 });
        const wait = makeWait(run.id, "pay", { since: now, timeoutAt: now + 60_000, expr: "async.data.ok == true" });
        const ok = await store.checkpoint({
          runId: run.id,
          fence: 3,
          step,
          wait,
          run: { status: "waiting", state: 2, locals: '{"total":3}', counters: '{"pay":1}', wakeAt: now + 60_000, stepsDone: 1, version: "v2" },
          releaseLease: true,
        });
        expect(ok).toBe(true);
        const stored = (await store.getRun(run.id))!;
        expect(stored).toMatchObject({
          status: "waiting", state: 2, locals: '{"total":3}', counters: '{"pay":1}', wakeAt: now + 60_000, stepsDone: 1, version: "v2",
          leaseOwner: null, leaseExpiresAt: null, fence: 3,
          // untouched fields
          request: run.request, trigger: run.trigger, requestHash: run.requestHash, createdAt: run.createdAt, result: null,
        });
        expect(stored.updatedAt).toBeGreaterThanOrEqual(now);
        expect(await store.getStep(run.id, "pay")).toEqual(step);
        expect(await store.findWaits("order/paid", now)).toEqual([wait]);
      });

      it("keeps the lease unless asked, and leaves fields absent from the patch alone", async () => {
        const { store } = await setup();
        const run = await insert(store, { fence: 1, locals: "L", state: 1 });
        expect(await store.checkpoint({ runId: run.id, fence: 1, run: { stepsDone: 1 } })).toBe(true);
        expect(await store.getRun(run.id)).toMatchObject({ leaseOwner: "owner-a", leaseExpiresAt: run.leaseExpiresAt, locals: "L", state: 1, stepsDone: 1 });
        expect(await store.checkpoint({ runId: run.id, fence: 1, run: { status: "completed", result: "final", wakeAt: null }, releaseLease: true })).toBe(true);
        expect(await store.getRun(run.id)).toMatchObject({ status: "completed", result: "final", leaseOwner: null, locals: "L" });
      });

      it("with a stale fence writes nothing: neither step, wait nor run", async () => {
        const { store } = await setup();
        const now = Date.now();
        const run = await insert(store, { fence: 1, leaseExpiresAt: now - 1 });
        const taken = await store.acquireLease(run.id, "owner-b", TTL, now);
        expect(taken!.fence).toBe(2);
        const ok = await store.checkpoint({
          runId: run.id,
          fence: 1,
          step: makeStep(run.id, "s1"),
          wait: makeWait(run.id, "s1"),
          run: { state: 9, stepsDone: 1, status: "completed", result: "stale" },
          releaseLease: true,
        });
        expect(ok).toBe(false);
        expect(await store.getRun(run.id)).toEqual(taken);
        expect(await store.getStep(run.id, "s1")).toBeNull();
        expect(await store.listSteps(run.id)).toEqual([]);
        expect(await store.findWaits("order/paid", Date.now() + 1000)).toEqual([]);
        expect(await store.checkpoint({ runId: "no-such-run", fence: 1, run: { state: 1 } })).toBe(false);
      });

      it("a locals edit changes the stored text in place, and applies only to the text it was made from", async () => {
        const { store } = await setup();
        const locals = '[{"cart":1,"i":3},{"items":2},["a","b","c"],9]';
        const run = await insert(store, { fence: 1, locals, state: 2 });
        // "i":3 → "i":14, with the step it settles and the resume point
        const edit = { length: locals.length, at: locals.indexOf("3}"), cut: 1, text: "14" };
        const edited = applyLocalsEdit(locals, edit);
        expect(edited).toBe('[{"cart":1,"i":14},{"items":2},["a","b","c"],9]');
        expect(await store.checkpoint({ runId: run.id, fence: 1, step: makeStep(run.id, "s1"), run: { state: 3, localsEdit: edit, stepsDone: 1 } })).toBe(true);
        expect(await store.getRun(run.id)).toMatchObject({ locals: edited, state: 3, stepsDone: 1 });
        // the same edit again (a retry after a commit whose answer was lost): the text has another length now
        expect(await store.checkpoint({ runId: run.id, fence: 1, step: makeStep(run.id, "s2"), run: { state: 4, localsEdit: edit, stepsDone: 2 } })).toBe(false);
        expect(await store.getRun(run.id)).toMatchObject({ locals: edited, state: 3, stepsDone: 1 });
        expect(await store.getStep(run.id, "s2")).toBeNull();
        // at the end, and removing characters
        const shorter = { length: edited.length, at: edited.length - 3, cut: 2, text: "" };
        expect(await store.checkpoint({ runId: run.id, fence: 1, run: { localsEdit: shorter } })).toBe(true);
        expect((await store.getRun(run.id))!.locals).toBe('[{"cart":1,"i":14},{"items":2},["a","b","c"]]');
        // a cancelled run keeps the step outcome in flight, and its locals
        const now = Date.now();
        await store.cancelRun(run.id, "cancelled", now);
        const last = (await store.getRun(run.id))!.locals!;
        const late = { length: last.length, at: 0, cut: 1, text: "{" };
        expect(await store.checkpoint({ runId: run.id, fence: 1, step: makeStep(run.id, "s3"), run: { localsEdit: late } })).toBe(false);
        expect((await store.getRun(run.id))!.locals).toBe(last);
        expect(await store.getStep(run.id, "s3")).not.toBeNull();
      });

      it("upserts a step by id (a retry updates it) and listSteps keeps start order", async () => {
        const { store } = await setup();
        const t = Date.now();
        const run = await insert(store);
        const cp = (step: StepRecord) => store.checkpoint({ runId: run.id, fence: 1, step, run: {} });
        // Started a, b, c (b and c in the same millisecond); they settle out of order.
        await cp(makeStep(run.id, "c", { startedAt: t + 10, updatedAt: t + 20 }));
        await cp(makeStep(run.id, "a", { status: "retrying", attempts: 1, output: "err1", wakeAt: t + 500, startedAt: t, updatedAt: t + 30 }));
        await cp(makeStep(run.id, "b", { startedAt: t + 10, updatedAt: t + 40 }));
        const retried = makeStep(run.id, "a", { status: "completed", attempts: 1, output: "ok", wakeAt: null, startedAt: t, updatedAt: t + 600 });
        await cp(retried);
        expect(await store.getStep(run.id, "a")).toEqual(retried);
        expect((await store.listSteps(run.id)).map((s) => s.id)).toEqual(["a", "c", "b"]);
        expect(await store.listSteps("no-such-run")).toEqual([]);
        expect(await store.getStep(run.id, "nope")).toBeNull();
      });
    });

    describe("scheduling", () => {
      it("claimDue leases due waiting runs and expired running runs of the given endpoints, up to the limit", async () => {
        const { store } = await setup();
        const now = Date.now();
        const free = { leaseOwner: null, leaseExpiresAt: null };
        const due1 = await insert(store, { status: "waiting", wakeAt: now - 10, ...free });
        const due2 = await insert(store, { status: "waiting", wakeAt: now, ...free });
        const orphan = await insert(store, { status: "running", leaseOwner: "dead", leaseExpiresAt: now - 1 });
        const released = await insert(store, { status: "running", ...free });
        await insert(store, { status: "waiting", wakeAt: now + 1000, ...free }); // not yet due
        await insert(store, { status: "waiting", wakeAt: null, ...free }); // waits for an event only
        await insert(store, { status: "running", leaseExpiresAt: now + TTL }); // owner alive
        await insert(store, { status: "waiting", wakeAt: now - 10, leaseOwner: "busy", leaseExpiresAt: now + TTL }); // claimed by someone
        await insert(store, { status: "completed", result: "r", wakeAt: now - 10, ...free });
        await insert(store, { status: "failed", result: "r", ...free });
        await insert(store, { status: "waiting", wakeAt: now - 10, endpoint: "app:/other", ...free });

        const claimed = await store.claimDue([EP, "app:/unused"], "owner-z", 5000, now, 10);
        expect(claimed.map((r) => r.id).sort()).toEqual([due1.id, due2.id, orphan.id, released.id].sort());
        for (const run of claimed) {
          const before = [due1, due2, orphan, released].find((r) => r.id === run.id)!;
          expect(run).toMatchObject({ leaseOwner: "owner-z", leaseExpiresAt: now + 5000, fence: before.fence + 1, status: before.status });
          expect(await store.getRun(run.id)).toEqual(run);
        }
        // Claimed runs now hold a live lease: nobody else gets them.
        expect(await store.claimDue([EP], "owner-y", 5000, now, 10)).toEqual([]);
        expect(await store.claimDue([], "owner-y", 5000, now, 10)).toEqual([]);
      });

      it("claimDue respects the limit", async () => {
        const { store } = await setup();
        const now = Date.now();
        for (let i = 0; i < 5; i++) await insert(store, { status: "waiting", wakeAt: now - i, leaseOwner: null, leaseExpiresAt: null });
        expect(await store.claimDue([EP], "o", TTL, now, 2)).toHaveLength(2);
        expect(await store.claimDue([EP], "o", TTL, now, 10)).toHaveLength(3);
      });

      it("concurrent claimDue never hands one run to two claimers", async () => {
        const { store, another } = await setup();
        const stores = options.shared ? [store, await another(), await another()] : [store];
        const now = Date.now();
        const ids = new Set<string>();
        for (let i = 0; i < 30; i++) ids.add((await insert(store, { status: "waiting", wakeAt: now - i, leaseOwner: null, leaseExpiresAt: null })).id);
        const batches = await Promise.all(
          Array.from({ length: 9 }, (_, i) => stores[i % stores.length]!.claimDue([EP], `claimer-${i}`, TTL, now, 7)),
        );
        const claimed = batches.flat().map((r) => r.id);
        expect(new Set(claimed).size).toBe(claimed.length);
        // Whatever a racing claimer skipped is still there for the next claim; nothing is lost either.
        const rest = await store.claimDue([EP], "sweeper", TTL, now, 100);
        expect(new Set([...claimed, ...rest.map((r) => r.id)])).toEqual(ids);
        expect(claimed.length + rest.length).toBe(ids.size);
      });

      it("nextWakeAt is the earliest wake-up among waiting runs of the endpoints", async () => {
        const { store } = await setup();
        expect(await store.nextWakeAt([EP], 0)).toBeNull();
        await insert(store, { status: "waiting", wakeAt: 5000 });
        await insert(store, { status: "waiting", wakeAt: 3000 });
        await insert(store, { status: "waiting", wakeAt: null });
        await insert(store, { status: "waiting", wakeAt: 1000, endpoint: "app:/other" });
        await insert(store, { status: "completed", wakeAt: 500, result: "r" });
        expect(await store.nextWakeAt([EP], 0)).toBe(3000);
        expect(await store.nextWakeAt([EP, "app:/other"], 0)).toBe(1000);
        expect(await store.nextWakeAt(["app:/none"], 0)).toBeNull();
        // runs due by `after` are left out (claimed, or waiting for a lease or a slot to be freed)
        expect(await store.nextWakeAt([EP, "app:/other"], 1000)).toBe(3000);
        expect(await store.nextWakeAt([EP, "app:/other"], 3000)).toBe(5000);
        expect(await store.nextWakeAt([EP, "app:/other"], 5000)).toBeNull();
      });
    });

    describe("events and waits", () => {
      /** A run (trigger `{ orderId }`) waiting in step "pay" for order/paid with that orderId. */
      async function waiting(store: Store, orderId: number, since: number, overrides: Partial<WaitRecord> = {}) {
        const run = await insert(store, { fence: 1, trigger: JSON.stringify({ orderId }) });
        const cp = waitingCheckpoint(run.id, "pay", since + 60_000, { since, matchKey: matchKey(orderId), ...overrides });
        expect(await store.checkpoint({ ...cp, matcher: eventMatcher() })).toBe(true);
        return run;
      }
      const paid = (orderId: number, ts: number, id = uid("evt")) => ({ id, name: "order/paid", data: JSON.stringify({ orderId }), ts });

      it("sendEvents resolves the waits an event satisfies (same match value, begun before it), once", async () => {
        const { store } = await setup();
        const now = Date.now();
        const one = await waiting(store, 1, now - 100);
        const two = await waiting(store, 2, now - 100);
        const later = await waiting(store, 1, now + 1000);
        const event = paid(1, now);
        expect(await store.sendEvents([event], eventMatcher(), now)).toEqual([one.id]);
        expect(await store.getStep(one.id, "pay")).toMatchObject({ status: "completed", output: expect.stringContaining(event.id) });
        expect(await store.getRun(one.id)).toMatchObject({ status: "waiting", wakeAt: now });
        for (const run of [two, later]) expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "waiting" });
        // the same id again: its stored copy is delivered again, to nobody new; a new id resolves nothing resolved
        expect(await store.sendEvents([{ ...event, data: '{"orderId":2}' }], eventMatcher(), now)).toEqual([]);
        expect(await store.getStep(two.id, "pay")).toMatchObject({ status: "waiting" });
        expect(await store.sendEvents([paid(2, now)], eventMatcher(), now)).toEqual([two.id]);
      });

      it("pruneEvents deletes events older than the cutoff, never one a wait may still match", async () => {
        const now = Date.now();
        const day = 86_400_000;
        /** The event a wait begun at `since` gets as it is saved (the first stored one it matches). */
        const caughtUp = async (store: Store, orderId: number, since: number) =>
          (await store.getStep((await waiting(store, orderId, since)).id, "pay"))!.output;

        // no wait, no running run: what is older than the cutoff goes
        const plain = (await setup()).store;
        const [old, recent] = [paid(1, now - 3 * day), paid(1, now - 1000)];
        await plain.sendEvents([old, recent], eventMatcher(), now);
        expect(await plain.pruneEvents(now - day)).toBe(1);
        expect(await caughtUp(plain, 1, now - 4 * day)).toContain(recent.id);

        // an open wait begun 3 days ago keeps what it may still match (sent since), however old
        const open = (await setup()).store;
        await waiting(open, 2, now - 3 * day);
        const sinceThen = paid(5, now - 2.5 * day);
        await open.sendEvents([paid(5, now - 3.5 * day), sinceThen], eventMatcher(), now);
        expect(await open.pruneEvents(now - day)).toBe(1);
        expect(await caughtUp(open, 5, now - 4 * day)).toContain(sinceThen.id);

        // a running run created 2 days ago may have a wait in flight (begun, not saved): events since its creation stay
        const running = (await setup()).store;
        const run = await insert(running, { fence: 1, createdAt: now - 2 * day, trigger: JSON.stringify({ orderId: 6 }) });
        const inFlight = paid(6, now - 1.5 * day);
        await running.sendEvents([paid(6, now - 2.5 * day), inFlight], eventMatcher(), now);
        expect(await running.pruneEvents(now - day)).toBe(1);
        const cp = waitingCheckpoint(run.id, "pay", now + 60_000, { since: now - 1.6 * day, matchKey: matchKey(6) });
        await running.checkpoint({ ...cp, matcher: eventMatcher() });
        expect((await running.getStep(run.id, "pay"))!.output).toContain(inFlight.id);
      });

      it("a send() retried with the same id delivers to a wait the first attempt missed", async () => {
        const { store } = await setup();
        const now = Date.now();
        const event = paid(7, now);
        expect(await store.sendEvents([event], eventMatcher(), now)).toEqual([]);
        // a wait that had begun before the event, registered since (in flight then): the retry delivers the stored copy
        const run = await insert(store, { fence: 1, trigger: JSON.stringify({ orderId: 7 }) });
        expect(await store.checkpoint(waitingCheckpoint(run.id, "pay", now + 60_000, { since: now - 10, matchKey: matchKey(7) }))).toBe(true);
        expect(await store.sendEvents([{ ...event, ts: now + 5 }], eventMatcher(), now + 5)).toEqual([run.id]);
        expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "completed", output: expect.stringContaining(`,${now}]`) });
      });

      it("a wait registered after a matching event was stored (sent while the wait was in flight) is resolved as it is saved", async () => {
        const { store } = await setup();
        const now = Date.now();
        const early = paid(3, now - 50);
        const during = paid(3, now + 10);
        const other = paid(4, now + 20);
        expect(await store.sendEvents([early, during, other], eventMatcher(), now)).toEqual([]);
        const run = await waiting(store, 3, now);
        expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "completed", output: expect.stringContaining(during.id) });
        expect(await store.getRun(run.id)).toMatchObject({ status: "waiting", wakeAt: expect.any(Number) });
        expect((await store.getRun(run.id))!.wakeAt).toBeLessThanOrEqual(Date.now());
        expect(await store.findWaits("order/paid", now + 100)).toEqual([]);
        // one sent before the wait began does not count
        const late = await waiting(store, 4, now + 30);
        expect(await store.getStep(late.id, "pay")).toMatchObject({ status: "waiting" });
      });

      it("a wait never takes an event its run had seen when it began (`seen`), sent in its `since` millisecond: not as it is saved, not on a re-send", async () => {
        const { store } = await setup();
        const now = Date.now();
        const consumed = paid(8, now);
        const sameMs = paid(8, now);
        expect(await store.sendEvents([consumed], eventMatcher(), now)).toEqual([]);
        const run = await waiting(store, 8, now, { seen: [consumed.id] });
        expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "waiting" });
        expect(await store.findWaits("order/paid", now)).toEqual([expect.objectContaining({ runId: run.id, seen: [consumed.id] })]);
        expect(await store.sendEvents([consumed], eventMatcher(), now + 1)).toEqual([]);
        expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "waiting" });
        // another event of that millisecond may have been sent after the wait began: it counts
        expect(await store.sendEvents([sameMs], eventMatcher(), now + 1)).toEqual([run.id]);
        expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "completed", output: expect.stringContaining(sameMs.id) });
      });

      it("an `if` expression and waits without match: every wait of the event is a candidate", async () => {
        const { store } = await setup();
        const now = Date.now();
        const run = await waiting(store, 5, now - 10, { match: null, matchKey: null, expr: "async.data.orderId == event.data.orderId" });
        expect(await store.sendEvents([paid(6, now)], eventMatcher(), now)).toEqual([]);
        expect(await store.sendEvents([paid(5, now)], eventMatcher(), now)).toEqual([run.id]);
      });

      it("findWaits returns open waits for the event registered at or before ts", async () => {
        const { store } = await setup();
        const run = await insert(store);
        const early = makeWait(run.id, "w1", { since: 1000 });
        const late = makeWait(run.id, "w2", { since: 2000 });
        const other = makeWait(run.id, "w3", { since: 1000, event: "order/cancelled" });
        for (const wait of [early, late, other]) expect(await store.checkpoint({ runId: run.id, fence: 1, wait, run: {} })).toBe(true);
        expect(await store.findWaits("order/paid", 999)).toEqual([]);
        expect(await store.findWaits("order/paid", 1500)).toEqual([early]);
        expect(sortWaits(await store.findWaits("order/paid", 2000))).toEqual(sortWaits([early, late]));
        expect(await store.findWaits("order/cancelled", 5000)).toEqual([other]);
      });

      it("resolveWait completes the step, removes the wait and makes a waiting run due now — once", async () => {
        const { store } = await setup();
        const now = Date.now();
        const run = await insert(store, { fence: 1 });
        await store.checkpoint(waitingCheckpoint(run.id, "pay", now + 60_000, { since: now }));
        expect(await store.resolveWait(run.id, "pay", '{"id":"evt"}', now + 5)).toBe(true);
        expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "completed", output: '{"id":"evt"}', wakeAt: null });
        expect(await store.getRun(run.id)).toMatchObject({ status: "waiting", wakeAt: now + 5 });
        expect(await store.findWaits("order/paid", now + 10)).toEqual([]);
        expect(await store.claimDue([EP], "owner-b", TTL, now + 5, 10)).toHaveLength(1);
        // The timeout firing later loses: the wait is gone.
        expect(await store.resolveWait(run.id, "pay", "null", now + 60_000)).toBe(false);
        expect(await store.getStep(run.id, "pay")).toMatchObject({ output: '{"id":"evt"}' });
        expect(await store.resolveWait("no-such-run", "pay", "null", now)).toBe(false);
      });

      it("resolveWait leaves a run that is not waiting as it is", async () => {
        const { store } = await setup();
        const run = await insert(store, { status: "running", wakeAt: null });
        await store.checkpoint({ runId: run.id, fence: 1, step: makeStep(run.id, "pay", { status: "waiting", kind: "waitForEvent" }), wait: makeWait(run.id, "pay"), run: {} });
        expect(await store.resolveWait(run.id, "pay", "null", Date.now())).toBe(true);
        expect(await store.getRun(run.id)).toMatchObject({ status: "running", wakeAt: null });
        expect(await store.getStep(run.id, "pay")).toMatchObject({ status: "completed", output: "null" });
      });

      it("a suspension whose wait was already resolved (dueIfCompleted) makes the run due now, in the same write", async () => {
        const { store } = await setup();
        const run = await insert(store, { status: "running", wakeAt: null });
        const waiting = makeStep(run.id, "pay", { status: "waiting", kind: "waitForEvent" });
        await store.checkpoint({ runId: run.id, fence: 1, step: waiting, wait: makeWait(run.id, "pay"), run: {} });
        // the event wins the race while the run is still running…
        expect(await store.resolveWait(run.id, "pay", "null", Date.now())).toBe(true);
        // …then the execution suspends on that wait until its (far) timeout
        const before = Date.now();
        const suspend = { runId: run.id, fence: 1, run: { status: "waiting" as const, wakeAt: before + 3_600_000 }, releaseLease: true };
        expect(await store.checkpoint({ ...suspend, dueIfCompleted: ["other", "pay"] })).toBe(true);
        const due = await store.getRun(run.id);
        expect(due).toMatchObject({ status: "waiting", leaseOwner: null });
        expect(due!.wakeAt).toBeLessThanOrEqual(Date.now());
        expect(due!.wakeAt).toBeGreaterThanOrEqual(before);
        // without a completed wait the suspension keeps its own wake-up time
        const other = await insert(store, { status: "running", wakeAt: null });
        await store.checkpoint({ ...suspend, runId: other.id, dueIfCompleted: ["pay"] });
        expect(await store.getRun(other.id)).toMatchObject({ wakeAt: before + 3_600_000 });
      });

      it("concurrent resolveWait: exactly one resolver wins", async () => {
        const { store, another } = await setup();
        const stores = options.shared ? [store, await another(), await another()] : [store];
        const now = Date.now();
        const run = await insert(store);
        await store.checkpoint({
          runId: run.id,
          fence: 1,
          step: makeStep(run.id, "pay", { kind: "waitForEvent", status: "waiting", output: null }),
          wait: makeWait(run.id, "pay"),
          run: { status: "waiting", wakeAt: now + 60_000 },
          releaseLease: true,
        });
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => stores[i % stores.length]!.resolveWait(run.id, "pay", `"resolver-${i}"`, now)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.getStep(run.id, "pay"))!.output).toBe(`"resolver-${winner}"`);
      });
    });

    describe("inspection", () => {
      it("listWaits returns one run's open waits, oldest first; a resolved wait is gone", async () => {
        const { store } = await setup();
        const run = await insert(store);
        const other = await insert(store);
        const later = makeWait(run.id, "approve", { since: 2000, event: "order/approved", match: null, expr: "async.data.ok == true" });
        const earlier = makeWait(run.id, "pay", { since: 1000 });
        for (const wait of [later, earlier]) await store.checkpoint({ runId: run.id, fence: 1, wait, run: {} });
        await store.checkpoint({ runId: other.id, fence: 1, wait: makeWait(other.id, "pay"), run: {} });
        expect(await store.listWaits(run.id)).toEqual([earlier, later]);
        expect(await store.resolveWait(run.id, "pay", "null", Date.now())).toBe(true);
        expect(await store.listWaits(run.id)).toEqual([later]);
        expect(await store.listWaits("no-such-run")).toEqual([]);
      });

      /** A run suspended on a sleep, a retry backoff and a wait for an event, all far off. */
      async function suspendedOnEverything(store: Store, now: number) {
        const run = await insert(store, { fence: 1 });
        const far = now + 3_600_000;
        const steps = [
          makeStep(run.id, "cool-down", { kind: "sleep", status: "waiting", output: null, wakeAt: far }),
          makeStep(run.id, "charge", { kind: "run", status: "retrying", attempts: 1, output: '"boom"', wakeAt: far }),
          makeStep(run.id, "approval", { kind: "waitForEvent", status: "waiting", output: null, wakeAt: far }),
          makeStep(run.id, "load", { kind: "run", status: "completed", wakeAt: null }),
          makeStep(run.id, "slept", { kind: "sleepUntil", status: "waiting", output: null, wakeAt: now - 1000 }),
        ];
        for (const step of steps) {
          const wait = step.kind === "waitForEvent" ? makeWait(run.id, step.id, { timeoutAt: far }) : undefined;
          await store.checkpoint({ runId: run.id, fence: 1, step, ...(wait ? { wait } : {}), run: {} });
        }
        await store.checkpoint({ runId: run.id, fence: 1, run: { status: "waiting", wakeAt: far }, releaseLease: true });
        return { run, far };
      }

      it("wakeRun makes a waiting run's sleeps and retry backoffs due now; waits for events keep their timeout", async () => {
        const { store } = await setup();
        const now = Date.now();
        const { run, far } = await suspendedOnEverything(store, now);
        expect(await store.claimDue([EP], "owner-b", TTL, now, 10)).toEqual([]);

        expect(await store.wakeRun(run.id, now)).toBe(true);
        expect(await store.getRun(run.id)).toMatchObject({ status: "waiting", wakeAt: now, leaseOwner: null });
        const steps = Object.fromEntries((await store.listSteps(run.id)).map((s) => [s.id, s]));
        expect(steps["cool-down"]).toMatchObject({ status: "waiting", wakeAt: now });
        expect(steps.charge).toMatchObject({ status: "retrying", attempts: 1, wakeAt: now });
        expect(steps.approval).toMatchObject({ status: "waiting", wakeAt: far });
        expect(steps.load).toMatchObject({ status: "completed", wakeAt: null });
        expect(steps.slept!.wakeAt).toBe(now - 1000); // already elapsed: left alone
        expect(await store.listWaits(run.id)).toMatchObject([{ stepId: "approval", timeoutAt: far }]);
        expect((await store.claimDue([EP], "owner-b", TTL, now, 10)).map((r) => r.id)).toEqual([run.id]);
      });

      it("wakeRun changes nothing for a run that is executing, finished, only waiting for an event, or unknown", async () => {
        const { store } = await setup();
        const now = Date.now();
        const { run } = await suspendedOnEverything(store, now);
        // leased (an instance is executing it): refused
        expect(await store.acquireLease(run.id, "owner-b", TTL, now)).not.toBeNull();
        const leased = await store.getRun(run.id);
        expect(await store.wakeRun(run.id, now)).toBe(false);
        expect(await store.getRun(run.id)).toEqual(leased);

        const onlyEvent = await insert(store, { fence: 1 });
        await store.checkpoint(waitingCheckpoint(onlyEvent.id, "approval", now + 60_000));
        expect(await store.wakeRun(onlyEvent.id, now)).toBe(false);
        expect(await store.getRun(onlyEvent.id)).toMatchObject({ wakeAt: now + 60_000 });

        const done = await insert(store, { status: "completed", result: "r", leaseOwner: null, leaseExpiresAt: null });
        expect(await store.wakeRun(done.id, now)).toBe(false);
        expect(await store.wakeRun("no-such-run", now)).toBe(false);
      });

      itShared("wakeRun from another instance signals due work and the run's change", async () => {
        const { store, another } = await setup();
        const other = await another();
        const now = Date.now();
        const { run } = await suspendedOnEverything(store, now);
        const stopListening = store.onDue(() => {});
        await listening(store);
        const due = nextDue(store);
        const changed = store.waitForChange(run.id, AbortSignal.timeout(5000));
        expect(await other.wakeRun(run.id, now)).toBe(true);
        expect(await settlesWithin(due.promise, 3000)).toBe("changed");
        expect(await settlesWithin(changed, 3000)).toBe("changed");
        stopListening();
      });
    });

    describe("notifications", () => {
      it("waitForChange wakes on a checkpoint that suspends the run, and not on another run's", async () => {
        const { store } = await setup();
        const run = await insert(store);
        const other = await insert(store);
        await listening(store);
        const changed = store.waitForChange(run.id, new AbortController().signal);
        const suspend = (runId: string) => store.checkpoint({ runId, fence: 1, run: { status: "waiting", wakeAt: Date.now() + 60_000 }, releaseLease: true });
        await suspend(other.id);
        expect(await settlesWithin(changed, 150)).toBe("pending");
        await suspend(run.id);
        expect(await settlesWithin(changed, 2000)).toBe("changed");
      });

      it("waitForChange wakes when the run finishes, is leased or released, or its wait resolves", async () => {
        const { store } = await setup();
        const now = Date.now();
        const run = await insert(store, { leaseExpiresAt: now - 1 });
        const next = () => store.waitForChange(run.id, new AbortController().signal);
        await listening(store);

        let changed = next();
        await store.acquireLease(run.id, "owner-b", TTL, now);
        expect(await settlesWithin(changed, 2000)).toBe("changed");

        changed = next();
        await store.checkpoint({ runId: run.id, fence: 2, step: makeStep(run.id, "w", { status: "waiting" }), wait: makeWait(run.id, "w"), run: { status: "waiting", wakeAt: now + 60_000 } });
        expect(await settlesWithin(changed, 2000)).toBe("changed");

        changed = next();
        await store.releaseLease(run.id, 2);
        expect(await settlesWithin(changed, 2000)).toBe("changed");

        changed = next();
        await store.resolveWait(run.id, "w", "null", now);
        expect(await settlesWithin(changed, 2000)).toBe("changed");

        await store.acquireLease(run.id, "owner-c", TTL, now);
        changed = next();
        await store.checkpoint({ runId: run.id, fence: 3, run: { status: "completed", result: "done" }, releaseLease: true });
        expect(await settlesWithin(changed, 2000)).toBe("changed");
      });

      it("waitForChange resolves on abort", async () => {
        const { store } = await setup();
        const run = await insert(store);
        await listening(store);
        const controller = new AbortController();
        const changed = store.waitForChange(run.id, controller.signal);
        expect(await settlesWithin(changed, 50)).toBe("pending");
        controller.abort();
        expect(await settlesWithin(changed, 1000)).toBe("changed");
        const aborted = AbortSignal.abort();
        expect(await settlesWithin(store.waitForChange(run.id, aborted), 1000)).toBe("changed");
      });

      it("onDue fires when a wait is resolved, until unsubscribed", async () => {
        const { store } = await setup();
        const run = await insert(store);
        for (const id of ["a", "b"]) await store.checkpoint({ runId: run.id, fence: 1, wait: makeWait(run.id, id), run: { status: "waiting" } });
        const stopListening = store.onDue(() => {});
        await listening(store);
        const due = nextDue(store);
        await store.resolveWait(run.id, "a", "null", Date.now());
        expect(await settlesWithin(due.promise, 2000)).toBe("changed");

        let calls = 0;
        const unsubscribe = store.onDue(() => calls++);
        unsubscribe();
        await store.resolveWait(run.id, "b", "null", Date.now());
        await new Promise((r) => setTimeout(r, 100));
        expect(calls).toBe(0);
        stopListening();
      });

      itShared("waitForChange wakes on a change made by another instance", () =>
        wokenFromAnotherInstance(async (other, run) =>
          expect(await other.checkpoint({ runId: run.id, fence: 1, run: { status: "completed", result: "done" }, releaseLease: true })).toBe(true),
        ),
      );

      itShared("waitForChange ignores other instances' changes to other runs", async () => {
        const { store, another } = await setup();
        const other = await another();
        const run = await insert(store);
        const unrelated = await insert(store);
        await listening(store);
        const changed = store.waitForChange(run.id, new AbortController().signal);
        await other.checkpoint({ runId: unrelated.id, fence: 1, run: { status: "completed", result: "done" }, releaseLease: true });
        expect(await settlesWithin(changed, 300)).toBe("pending");
      });

      itShared("onDue fires when another instance makes a run due", async () => {
        const { store, another } = await setup();
        const other = await another();
        const run = await insert(store);
        await store.checkpoint({ runId: run.id, fence: 1, wait: makeWait(run.id, "pay"), run: { status: "waiting" }, releaseLease: true });
        const stopListening = store.onDue(() => {});
        await listening(store);
        const due = nextDue(store);
        expect(await other.resolveWait(run.id, "pay", "null", Date.now())).toBe(true);
        expect(await settlesWithin(due.promise, 3000)).toBe("changed");
        stopListening();
      });
    });

    describe("meta and lifecycle", () => {
      it("getOrSetMeta inserts if absent and returns the stored value", async () => {
        const { store, another } = await setup();
        expect(await store.getOrSetMeta("signing-key", "first")).toBe("first");
        expect(await store.getOrSetMeta("signing-key", "second")).toBe("first");
        expect(await store.getOrSetMeta("other", "x")).toBe("x");
        if (options.shared) expect(await (await another()).getOrSetMeta("signing-key", "third")).toBe("first");
      });

      it("concurrent getOrSetMeta agree on one value", async () => {
        const { store, another } = await setup();
        const stores = options.shared ? [store, await another()] : [store];
        const values = await Promise.all(Array.from({ length: 6 }, (_, i) => stores[i % stores.length]!.getOrSetMeta("k", `v${i}`)));
        expect(new Set(values).size).toBe(1);
      });

      it("close resolves pending waitForChange and can be called twice", async () => {
        const { store } = await setup();
        const run = await insert(store);
        const changed = store.waitForChange(run.id, new AbortController().signal);
        await store.close();
        expect(await settlesWithin(changed, 1000)).toBe("changed");
        await store.close();
      });

      itShared("data survives close: a new instance sees it", async () => {
        const { store, another } = await setup();
        const run = await insert(store, { idempotencyKey: "kept" });
        await store.checkpoint({ runId: run.id, fence: 1, step: makeStep(run.id, "s"), run: { stepsDone: 1 } });
        await store.close();
        const reopened = await another();
        expect(await reopened.getRun(run.id)).toMatchObject({ id: run.id, stepsDone: 1 });
        expect(await reopened.listSteps(run.id)).toHaveLength(1);
        expect((await reopened.createRun(makeRun({ idempotencyKey: "kept" }))).run.id).toBe(run.id);
      });
    });
  });
}

const sortWaits = (waits: WaitRecord[]) => [...waits].sort((a, b) => a.stepId.localeCompare(b.stepId));
