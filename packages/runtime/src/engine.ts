/** Runs executions of leased runs: the mode, lease renewal, re-runs after a lost race with an event. */

import type { Timer } from "./clock.js";
import { ambient, Execution, type Outcome } from "./execution.js";
import { modeOf } from "./execution/resume-point.js";
import type { EndpointDef, Services } from "./services.js";
import { cancelRun, type CancelOptions } from "./run-control.js";
import type { RunChange, RunRecord, Store } from "./store.js";

/** An execution renewing its lease: the next renewal is due at `due`. */
interface Renewal {
  runId: string;
  store: Store;
  due: number;
}

/** A run this process is acquiring or executing. */
interface Reservation {
  /** the fencing token of our lease (the execution's too); null while acquiring */
  fence: number | null;
  execution: Execution | null;
}

export class Engine {
  /**
   * Runs this process is acquiring or executing: the scheduler, a poll and an
   * idempotent retry of one process agree here first — whoever reserves a run
   * executes it.
   */
  private reserved = new Map<string, Reservation>();
  /**
   * Runs our scheduler claimed while they were reserved here (an acquire in
   * flight, or an execution under an older lease): resumed when the
   * reservation ends — their execution confirms the lease before anything runs.
   */
  private parked = new Map<string, RunRecord>();
  /**
   * The executions renewing their leases, every `leaseMs / 3`: one timer for
   * all of them while there are any, and one tick after (a timer each cost
   * more than the rest of a short request's bookkeeping).
   */
  private renewals = new Map<Execution, Renewal>();
  private renewTimer: Timer | null = null;
  private closed = false;

  constructor(
    private readonly services: Services,
    /** told when a run suspended until `wakeAt` (the scheduler re-arms) */
    private readonly onSuspended: (wakeAt: number | null) => void,
  ) {}

  /** Leases a run for this process unless this process already has it; null when someone holds it. */
  async acquire(runId: string): Promise<RunRecord | null> {
    if (this.closed || this.reserved.has(runId)) return null;
    const reservation: Reservation = { fence: null, execution: null };
    this.reserved.set(runId, reservation);
    try {
      const leased = await this.lease(await this.services.store(), runId);
      if (!leased) this.release(runId);
      return leased;
    } catch (error) {
      this.release(runId);
      throw error;
    }
  }

  /**
   * Takes a run the store leased to us (claimDue, createRun); false when this
   * process has it reserved already. If it is executing here under the lease
   * just before this one (its lease lapsed, e.g. a late renewal, and our own
   * scheduler re-claimed it: nobody else held it in between), the execution
   * carries on under the new fence — unless it has handed the run back
   * already (suspended: the run is due again). Otherwise the claim waits for the
   * reservation to end: a claim answered late must never run next to, or
   * after, an execution that moved the run on.
   */
  adopt(run: RunRecord): boolean {
    const reservation = this.reserved.get(run.id);
    if (!reservation) {
      this.reserved.set(run.id, { fence: run.fence, execution: null });
      return true;
    }
    const { execution } = reservation;
    if (execution?.reclaimed(run.fence, run.leaseExpiresAt ?? 0)) {
      reservation.fence = run.fence;
      return false;
    }
    // someone else held the run since this execution's lease: it is stale (the next fence is ours, and this
    // execution handed the run back: its last checkpoint commits, or is refused if the lease had lapsed)
    if (execution && run.fence > execution.fence + 1) execution.lose();
    const parked = this.parked.get(run.id);
    if (!parked || parked.fence < run.fence) this.parked.set(run.id, run);
    return false;
  }

  /** The reservation ends; a claim parked meanwhile is resumed now. */
  private release(runId: string): void {
    this.reserved.delete(runId);
    const parked = this.parked.get(runId);
    if (!parked || this.closed) return;
    this.parked.delete(runId);
    this.resumeClaimed(parked);
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
    const release = () => this.release(run.id);
    try {
      const outcome = await this.executeLeased(def, run, req, fresh);
      // a streamed response is still being produced: the run stays ours until it is
      whenProduced(outcome, release);
      return outcome;
    } catch (error) {
      release();
      throw error;
    }
  }

  private async executeLeased(def: EndpointDef, run: RunRecord, req: Request | null, fresh: boolean): Promise<Outcome> {
    const { services } = this;
    const store = await services.store();
    for (;;) {
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
      // closed while getting ready: nothing of the handler may run any more
      if (this.closed) return this.giveUp(store, run);
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
    const { clock } = this.services;
    const reservation = this.reserved.get(run.id);
    if (reservation) reservation.execution = execution;
    this.renewals.set(execution, { runId: run.id, store, due: clock.now() + this.renewEvery() });
    // checked at a sixth of the lease: a renewal is sent between a third and a half of it after the last one
    this.renewTimer ??= clock.setInterval(() => this.renewDue(), this.renewEvery() / 2);
    // the timer outlives the executions by at most one tick (renewDue clears it when none is left): a server
    // answering one request at a time would otherwise make and clear an interval per execution
    const stop = () => {
      this.renewals.delete(execution);
      if (reservation) reservation.execution = null;
    };
    try {
      const outcome = await execution.execute();
      whenProduced(outcome, stop);
      return outcome;
    } catch (error) {
      stop();
      throw error;
    } finally {
      ambient.end(execution);
    }
  }

  private renewEvery(): number {
    return Math.max(10, this.services.leaseMs / 3);
  }

  /** Sends the renewals that are due; one that finds us fenced out (or the run cancelled) stops its execution. */
  private renewDue(): void {
    const { clock, leaseMs, logger } = this.services;
    if (this.renewals.size === 0) {
      if (this.renewTimer) clock.clearTimer(this.renewTimer);
      this.renewTimer = null;
      return;
    }
    const sentAt = clock.now();
    for (const [execution, renewal] of this.renewals) {
      if (sentAt < renewal.due) continue;
      renewal.due = sentAt + this.renewEvery();
      const fence = execution.fence;
      renewal.store.renewLease(renewal.runId, fence, leaseMs, sentAt).then(
        (held) => void (held ? execution.holdLease(fence, sentAt + leaseMs) : execution.leaseRefused()),
        (error) => logger.warn(`[durable] run ${renewal.runId}: lease renewal failed`, error),
      );
    }
  }

  private async lease(store: Store, runId: string): Promise<RunRecord | null> {
    const { owner, leaseMs, clock } = this.services;
    const leased = await store.acquireLease(runId, owner, leaseMs, clock.now());
    const reservation = this.reserved.get(runId);
    if (leased && reservation) reservation.fence = leased.fence;
    return leased;
  }

  private async giveUp(store: Store, run: RunRecord): Promise<Outcome> {
    await store.releaseLease(run.id, this.reserved.get(run.id)?.fence ?? run.fence).catch(() => {});
    return { kind: "lost" };
  }

  /**
   * Cancels a run in the store; its execution in this process stops now (the
   * steps in flight still record their outcomes), one elsewhere at its next
   * checkpoint or lease renewal. Null for an unknown run.
   */
  async cancel(runId: string, options: CancelOptions): Promise<RunChange | null> {
    const { services } = this;
    const change = await cancelRun(await services.store(), runId, options, services.clock.now());
    if (change?.changed) this.reserved.get(runId)?.execution?.cancel();
    return change;
  }

  /**
   * Stops every execution at once (no more writes) and starts no more; the
   * returned function gives up the leases this process holds so another
   * process can take over immediately.
   */
  close(): (store: Store) => Promise<void> {
    this.closed = true;
    // lost below: nothing of theirs is renewed any more
    this.renewals.clear();
    if (this.renewTimer) this.services.clock.clearTimer(this.renewTimer);
    this.renewTimer = null;
    const held: [string, number][] = [];
    for (const [runId, { fence, execution }] of this.reserved) {
      execution?.lose();
      if (fence !== null) held.push([runId, fence]);
    }
    for (const [runId, run] of this.parked) held.push([runId, run.fence]);
    return async (store) => {
      await Promise.allSettled(held.map(([runId, fence]) => store.releaseLease(runId, fence)));
    };
  }
}

/** Runs `then` once the outcome's response is produced (at once unless it still streams). */
function whenProduced(outcome: Outcome, then: () => void): void {
  if (outcome.kind === "streaming") void outcome.producing.finally(then);
  else then();
}
