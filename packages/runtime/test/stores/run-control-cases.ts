/**
 * Store conformance, run control: `cancelRun`, `retryRun`, and what a
 * cancelled run means for checkpoints, leases, scheduling and events.
 * Called by `describeStoreConformance` with its helpers.
 */
import { describe, expect, it, type TestFunction } from "vitest";
import type { RunRecord, Store } from "../../src/store.js";
import type { WakeSetup } from "./conformance.js";

export interface CaseHelpers {
  setup(): Promise<{ store: Store; another(): Promise<Store> }>;
  insert(store: Store, overrides?: Partial<RunRecord>): Promise<RunRecord>;
  itShared: (name: string, fn: TestFunction) => void;
  makeStep: typeof import("./conformance.js").makeStep;
  makeWait: typeof import("./conformance.js").makeWait;
  waitingCheckpoint: typeof import("./conformance.js").waitingCheckpoint;
  settlesWithin(promise: Promise<unknown>, ms: number): Promise<"changed" | "pending">;
  listening(store: Store): Promise<void>;
  wokenFromAnotherInstance(act: (other: Store, run: RunRecord) => Promise<unknown>, setup?: WakeSetup): Promise<void>;
  endpoint: string;
  ttl: number;
}

export function describeRunControlCases({ setup, insert, itShared, makeStep, makeWait, waitingCheckpoint, settlesWithin, listening, wokenFromAnotherInstance, endpoint, ttl }: CaseHelpers) {
  describe("run control", () => {
    it("cancelRun cancels a running or waiting run: its result, no wake-up, lease cleared (fence kept), waits deleted — once", async () => {
      const { store } = await setup();
      const now = Date.now();
      const running = await insert(store, { fence: 3, leaseOwner: "owner-a", leaseExpiresAt: now + ttl });
      const cancelled = await store.cancelRun(running.id, "cancel-response", now + 5);
      expect(cancelled).toEqual({
        changed: true,
        run: { ...running, status: "cancelled", result: "cancel-response", wakeAt: null, leaseOwner: null, leaseExpiresAt: null, fence: 3, updatedAt: expect.any(Number) },
      });
      expect(await store.getRun(running.id)).toEqual(cancelled!.run);
      // a second cancel changes nothing, not even the result
      expect(await store.cancelRun(running.id, "other", now + 10)).toEqual({ changed: false, run: cancelled!.run });

      const waiting = await insert(store);
      await store.checkpoint(waitingCheckpoint(waiting.id, "pay", now + 60_000, { since: now }));
      expect(await store.cancelRun(waiting.id, "r", now)).toMatchObject({ changed: true, run: { status: "cancelled", wakeAt: null } });
      expect(await store.findWaits("order/paid", now + 1)).toEqual([]);
      // the event or the timeout arriving later resolves nothing
      expect(await store.resolveWait(waiting.id, "pay", "null", now + 60_000)).toBe(false);

      for (const status of ["completed", "failed"] as const) {
        const done = await insert(store, { status, result: "final", leaseOwner: null, leaseExpiresAt: null });
        expect(await store.cancelRun(done.id, "r", now)).toEqual({ changed: false, run: done });
      }
      expect(await store.cancelRun("no-such-run", "r", now)).toBeNull();
    });

    it("a checkpoint under the current fence of a cancelled run writes its step outcome only, and is refused", async () => {
      const { store } = await setup();
      const now = Date.now();
      const run = await insert(store, { fence: 2, state: 1 });
      const { run: cancelled } = (await store.cancelRun(run.id, "cancel-response", now))!;
      const kept = makeStep(run.id, "charge", { output: '"charged"' });
      const ok = await store.checkpoint({
        runId: run.id,
        fence: 2,
        step: kept,
        wait: makeWait(run.id, "charge"),
        run: { status: "completed", result: "late", state: 5, locals: "L", stepsDone: 1, wakeAt: now + 1000 },
        releaseLease: true,
      });
      expect(ok).toBe(false);
      expect(await store.getStep(run.id, "charge")).toEqual(kept);
      expect(await store.findWaits("order/paid", now + 1000)).toEqual([]);
      const after = (await store.getRun(run.id))!;
      expect({ ...after, updatedAt: 0 }).toEqual({ ...cancelled, updatedAt: 0 });
      // a stale fence still writes nothing at all
      expect(await store.checkpoint({ runId: run.id, fence: 1, step: makeStep(run.id, "stale"), run: {} })).toBe(false);
      expect(await store.getStep(run.id, "stale")).toBeNull();
    });

    it("a cancelled run is never leased, claimed or counted as a wake-up", async () => {
      const { store } = await setup();
      const now = Date.now();
      const run = await insert(store, { status: "waiting", wakeAt: now - 10, leaseOwner: null, leaseExpiresAt: null });
      await store.cancelRun(run.id, "r", now);
      expect(await store.acquireLease(run.id, "owner-b", ttl, now)).toBeNull();
      expect(await store.claimDue([endpoint], "owner-b", ttl, now + 60_000, 10)).toEqual([]);
      expect(await store.nextWakeAt([endpoint], 0)).toBeNull();
      expect(await store.renewLease(run.id, run.fence, ttl, now)).toBe(false);
    });

    it("cancelRun wakes waitForChange", async () => {
      const { store } = await setup();
      const run = await insert(store);
      await listening(store);
      const changed = store.waitForChange(run.id, new AbortController().signal);
      await store.cancelRun(run.id, "r", Date.now());
      expect(await settlesWithin(changed, 3000)).toBe("changed");
    });

    itShared("cancelRun by another instance wakes waitForChange", () => wokenFromAnotherInstance((other, run) => other.cancelRun(run.id, "r", Date.now())));

    it("the step outcome kept for a cancelled run wakes waitForChange (a run page shows it)", async () => {
      const { store } = await setup();
      const run = await insert(store, { fence: 2 });
      await store.cancelRun(run.id, "r", Date.now());
      await listening(store);
      const changed = store.waitForChange(run.id, new AbortController().signal);
      expect(await store.checkpoint({ runId: run.id, fence: 2, step: makeStep(run.id, "charge"), run: { state: 3 } })).toBe(false);
      expect(await settlesWithin(changed, 3000)).toBe("changed");
    });

    itShared("the step outcome kept for a cancelled run by another instance wakes waitForChange", () =>
      wokenFromAnotherInstance(
        async (other, run) => expect(await other.checkpoint({ runId: run.id, fence: 2, step: makeStep(run.id, "charge"), run: { state: 3 } })).toBe(false),
        { run: { fence: 2 }, before: (store, run) => store.cancelRun(run.id, "r", Date.now()) },
      ),
    );

    it("retryRun makes a failed run due now: result cleared, lease free, steps that failed for good reset", async () => {
      const { store } = await setup();
      const t = Date.now();
      const run = await insert(store, { state: 4, locals: "L", counters: "C", stepsDone: 2 });
      const cp = (step: ReturnType<typeof makeStep>) => store.checkpoint({ runId: run.id, fence: 1, step, run: {} });
      const done = makeStep(run.id, "load", { startedAt: t });
      const failed = makeStep(run.id, "charge", { status: "failed", attempts: 4, output: "boom", startedAt: t + 1 });
      await cp(done);
      await cp(failed);
      await store.checkpoint({ runId: run.id, fence: 1, run: { status: "failed", result: "500" }, releaseLease: true });

      const now = t + 100;
      const retried = await store.retryRun(run.id, now);
      expect(retried).toEqual({
        changed: true,
        run: expect.objectContaining({ status: "waiting", wakeAt: now, result: null, leaseOwner: null, leaseExpiresAt: null, state: 4, locals: "L", counters: "C", stepsDone: 2 }),
      });
      expect(await store.getRun(run.id)).toEqual(retried!.run);
      expect(await store.getStep(run.id, "load")).toEqual(done);
      expect(await store.getStep(run.id, "charge")).toEqual({ ...failed, status: "retrying", attempts: 0, wakeAt: null, updatedAt: now });
      // due now, for anyone serving the endpoint
      expect((await store.claimDue([endpoint], "owner-b", ttl, now, 10)).map((r) => r.id)).toEqual([run.id]);

      // only a failed run is retried
      expect(await store.retryRun(run.id, now)).toMatchObject({ changed: false, run: { status: "waiting", leaseOwner: "owner-b" } });
      for (const status of ["completed", "cancelled"] as const) {
        const other = await insert(store, { status, result: "final", leaseOwner: null, leaseExpiresAt: null });
        expect(await store.retryRun(other.id, now)).toEqual({ changed: false, run: other });
      }
      expect(await store.retryRun("no-such-run", now)).toBeNull();
    });

    itShared("retryRun by another instance signals due work", async () => {
      const { store, another } = await setup();
      const other = await another();
      const run = await insert(store, { status: "failed", result: "500", leaseOwner: null, leaseExpiresAt: null });
      const stopListening = store.onDue(() => {});
      await listening(store);
      const due = new Promise<void>((resolve) => {
        const unsubscribe = store.onDue(() => (unsubscribe(), resolve()));
      });
      expect(await other.retryRun(run.id, Date.now())).toMatchObject({ changed: true });
      expect(await settlesWithin(due, 3000)).toBe("changed");
      stopListening();
    });
  });
}
