/** Runs executions of leased runs: the mode, lease renewal, re-runs after a lost race with an event. */

import { ambient, Execution, type Outcome } from "./execution.js";
import { modeOf } from "./execution/resume-point.js";
import { deserialize } from "./serialize.js";
import type { EndpointDef, Services } from "./services.js";
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
    private readonly services: Services,
    /** told when a run suspended until `wakeAt` (the scheduler re-arms) */
    private readonly onSuspended: (wakeAt: number | null) => void,
  ) {}

  /** Leases a run for this process unless this process already has it; null when someone holds it. */
  async acquire(runId: string): Promise<RunRecord | null> {
    if (this.reserved.has(runId)) return null;
    this.reserved.add(runId);
    try {
      const leased = await this.lease(await this.services.store(), runId);
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

  /** Resumes a run the scheduler claimed for us, unless this process has it already or does not serve its endpoint. */
  resumeClaimed(run: RunRecord): void {
    const def = this.services.endpoints.get(run.endpoint);
    if (!def || !this.adopt(run)) return;
    this.resume(def, run).catch((error) => this.services.logger.error(`[durable] run ${run.id}: resume failed`, error));
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
    const { services } = this;
    const store = await services.store();
    for (;;) {
      req ??= deserialize<Request>(run.request);
      const mode = modeOf(def, run, fresh);
      if (def.machine === null) {
        services.warnOnce(
          "replay",
          `[durable] endpoint "${def.id}" is not compiled: running in replay mode (every resume re-runs the handler from the top). Add the @durable-endpoints/unplugin build plugin to compile it.`,
        );
      } else if (mode === "replay") {
        const origin = run.version === null ? "was already replayed" : `was started by version ${run.version}`;
        services.logger.info(`[durable] run ${run.id} of "${def.id}" ${origin}, ${def.machine.version} is loaded: replaying it from its recorded steps`);
      }
      const recorded = mode === "replay" && !fresh ? await store.listSteps(run.id) : [];
      const execution = new Execution(services, def, run, req, store, { mode, fresh, recorded });
      const outcome = await this.runRenewing(execution, run, store);
      if (outcome.kind !== "suspended") return outcome;
      this.onSuspended(outcome.wakeAt);
      if (!outcome.due) return outcome;
      const again = await this.lease(store, run.id);
      if (!again) return outcome;
      run = again;
      fresh = false;
      req = null;
    }
  }

  /** Executes, renewing the lease every `leaseMs / 3`; a renewal that finds us fenced out stops the execution. */
  private async runRenewing(execution: Execution, run: RunRecord, store: Store): Promise<Outcome> {
    const { clock, leaseMs, logger } = this.services;
    this.active.set(execution, run);
    const renew = clock.setInterval(() => {
      store.renewLease(run.id, execution.fence, leaseMs, clock.now()).then(
        (held) => held || execution.lose(),
        (error) => logger.warn(`[durable] run ${run.id}: lease renewal failed`, error),
      );
    }, Math.max(10, leaseMs / 3));
    try {
      return await execution.execute();
    } finally {
      clock.clearTimer(renew);
      this.active.delete(execution);
      ambient.end(execution);
    }
  }

  private lease(store: Store, runId: string): Promise<RunRecord | null> {
    const { owner, leaseMs, clock } = this.services;
    return store.acquireLease(runId, owner, leaseMs, clock.now());
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
