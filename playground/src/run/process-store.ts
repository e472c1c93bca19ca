/**
 * One simulated process's view of the shared store. All processes of a run
 * share one memory store (the "database"); each sees it through this wrapper,
 * which
 *  - reports checkpoints and lease takeovers to the timeline,
 *  - fast-forwards sleeps and retry back-offs (a 30 s sleep wakes in a moment),
 *  - "kills" the process right after a chosen step's checkpoint is committed:
 *    from then on every call hangs forever, as if the process had vanished
 *    mid-flight (its lease is never renewed nor released).
 */
import type { RunRecord, Store } from "@durable-endpoints/runtime";

/** One store transaction: a step outcome plus the run's new state. */
export type Checkpoint = Parameters<Store["checkpoint"]>[0];

/** How long a fast-forwarded sleep or back-off still takes, so the timeline stays readable. */
const FAST_FORWARD_MS = 250;

export interface ProcessStoreHooks {
  checkpoint(cp: Checkpoint, fastForwardedFrom: number | null): void;
  takeover(run: RunRecord): void;
  crash(stepId: string): void;
}

export function processStore(db: Store, crashAfter: string | undefined, hooks: ProcessStoreHooks): Store {
  let dead = false;
  /** runs this process already holds or created */
  const seenRuns = new Set<string>();
  const hang = <T>(): Promise<T> => new Promise<T>(() => {});
  const noteLease = (run: RunRecord) => {
    if (seenRuns.has(run.id)) return;
    seenRuns.add(run.id);
    if (run.stepsDone > 0) hooks.takeover(run);
  };

  const overrides: Partial<Store> = {
    async createRun(run) {
      if (dead) return hang();
      seenRuns.add(run.id); // started here: later lease acquisitions (after a sleep) are not takeovers
      return db.createRun(run);
    },
    async checkpoint(cp) {
      if (dead) return hang();
      const original = cp.step?.wakeAt ?? null;
      const patched = fastForward(cp);
      const ok = await db.checkpoint(patched);
      if (!ok) return ok;
      hooks.checkpoint(patched, patched === cp ? null : original);
      const step = patched.step;
      if (crashAfter && step && (step.status === "completed" || step.status === "failed") && matchesStep(step.id, crashAfter)) {
        dead = true;
        hooks.crash(step.id);
        return hang();
      }
      return ok;
    },
    // A new process takes a run over either by asking for it (a request, a poll) or through its scheduler.
    async acquireLease(runId, owner, ttlMs, now) {
      if (dead) return hang();
      const run = await db.acquireLease(runId, owner, ttlMs, now);
      if (run) noteLease(run);
      return run;
    },
    async claimDue(endpoints, owner, ttlMs, now, limit) {
      if (dead) return hang();
      const runs = await db.claimDue(endpoints, owner, ttlMs, now, limit);
      runs.forEach(noteLease);
      return runs;
    },
    onDue(listener) {
      return dead ? () => {} : db.onDue(listener);
    },
  };

  return new Proxy(db, {
    get(target, key, receiver) {
      const own = (overrides as Record<PropertyKey, unknown>)[key];
      if (own) return own;
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => (dead ? hang() : value.apply(target, args));
    },
  });
}

/** A sleep or a retry back-off, shortened to {@link FAST_FORWARD_MS}. */
function fastForward(cp: Checkpoint): Checkpoint {
  const step = cp.step;
  const sleeping = step && (step.kind === "sleep" || step.kind === "sleepUntil") && step.status === "waiting";
  const backingOff = step?.status === "retrying";
  if (!step || step.wakeAt === null || !(sleeping || backingOff)) return cp;
  const soon = Math.min(step.wakeAt, Date.now() + FAST_FORWARD_MS);
  return {
    ...cp,
    step: { ...step, wakeAt: soon },
    run: cp.run.wakeAt != null ? { ...cp.run, wakeAt: Math.min(cp.run.wakeAt, soon) } : cp.run,
  };
}

/** "price" matches "price", "price:1", …; a dynamic id "item-${i}" matches by its static prefix. */
function matchesStep(stepId: string, target: string): boolean {
  const dynamic = target.indexOf("${");
  if (dynamic >= 0) return stepId.startsWith(target.slice(0, dynamic));
  return stepId === target || stepId.startsWith(`${target}:`);
}
