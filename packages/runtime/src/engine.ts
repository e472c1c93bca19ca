/** Runs executions of leased runs: lease renewal, replay detection, re-runs after a lost race with an event. */

import type { Core, EndpointDef } from "./core.js";
import { ambient, Execution, type Outcome } from "./execution.js";
import { deserialize } from "./serialize.js";
import type { RunRecord, Store } from "./store.js";

export class Engine {
  private active = new Map<Execution, RunRecord>();
  /**
   * Runs this process is acquiring or executing. The stores let an owner
   * re-acquire its own lease, so the scheduler, a poll and an idempotent retry
   * of one process must agree here first: whoever reserves a run executes it.
   */
  private reserved = new Set<string>();

  constructor(
    private readonly core: Core,
    /** told when a run suspended until `wakeAt` (the scheduler re-arms) */
    private readonly onSuspended: (wakeAt: number | null) => void,
  ) {}

  /** Leases a run for this process unless this process already has it; null when someone holds it. */
  async acquire(runId: string): Promise<RunRecord | null> {
    if (this.reserved.has(runId)) return null;
    this.reserved.add(runId);
    try {
      const store = await this.core.store();
      const leased = await store.acquireLease(runId, this.core.owner, this.core.leaseMs, Date.now());
      if (!leased) this.reserved.delete(runId);
      return leased;
    } catch (error) {
      this.reserved.delete(runId);
      throw error;
    }
  }

  /**
   * Takes a run the store leased to us (claimDue, createRun); false when this
   * process already has it. If it is executing here (its lease lapsed, e.g. a
   * late renewal, and our own scheduler re-claimed it), the execution carries
   * on under the new fence instead of being fenced out by ourselves.
   */
  adopt(run: RunRecord): boolean {
    if (!this.reserved.has(run.id)) {
      this.reserved.add(run.id);
      return true;
    }
    for (const execution of this.active.keys()) if (execution.runId === run.id) execution.fence = run.fence;
    return false;
  }

  /** Resumes a run whose lease we hold (acquired or adopted), with its persisted request. */
  resume(def: EndpointDef, run: RunRecord): Promise<Outcome> {
    return this.execute(def, run, null, false);
  }

  /**
   * Executes a run whose lease we hold (acquired or adopted) until it finishes
   * or suspends; `req` null = rebuild it from the persisted snapshot.
   */
  async execute(def: EndpointDef, run: RunRecord, req: Request | null, fresh: boolean): Promise<Outcome> {
    try {
      return await this.executeLeased(def, run, req, fresh);
    } finally {
      this.reserved.delete(run.id);
    }
  }

  private async executeLeased(def: EndpointDef, run: RunRecord, req: Request | null, fresh: boolean): Promise<Outcome> {
    const store = await this.core.store();
    for (;;) {
      req ??= deserialize<Request>(run.request);
      const replay = !fresh && (def.machine === null || run.version !== def.machine.version);
      if (def.machine === null) {
        this.core.warnOnce(
          "replay",
          `[durable] endpoint "${def.id}" is not compiled: running in replay mode (every resume re-runs the handler from the top). Add the @durable-endpoints/unplugin build plugin to compile it.`,
        );
      } else if (replay) {
        const origin = run.version === null ? "was already replayed" : `was started by version ${run.version}`;
        this.core.logger.info(`[durable] run ${run.id} of "${def.id}" ${origin}, ${def.machine.version} is loaded: replaying it from its recorded steps`);
      }
      const steps = replay ? await store.listSteps(run.id) : null;
      const execution = new Execution(this.core, def, run, req, fresh, store, steps);
      this.active.set(execution, run);
      const renew = setInterval(() => {
        store.renewLease(run.id, execution.fence, this.core.leaseMs, Date.now()).then(
          (held) => held || execution.lose(),
          (error) => this.core.logger.warn(`[durable] run ${run.id}: lease renewal failed`, error),
        );
      }, Math.max(10, this.core.leaseMs / 3));
      (renew as { unref?: () => void }).unref?.();
      let outcome: Outcome;
      try {
        outcome = await execution.execute();
      } finally {
        clearInterval(renew);
        this.active.delete(execution);
        ambient.end(execution);
      }
      if (outcome.kind !== "suspended") return outcome;
      this.onSuspended(outcome.wakeAt);
      if (!outcome.due) return outcome;
      const again = await store.acquireLease(run.id, this.core.owner, this.core.leaseMs, Date.now());
      if (!again) return outcome;
      run = again;
      fresh = false;
      req = null;
    }
  }

  /**
   * Stops every execution at once (no more writes); the returned function
   * gives their leases up so another process can take over immediately.
   */
  close(): (store: Store) => Promise<void> {
    const running = [...this.active];
    for (const [execution] of running) execution.lose();
    return async (store) => {
      await Promise.allSettled(running.map(([execution, run]) => store.releaseLease(run.id, execution.fence)));
    };
  }
}
