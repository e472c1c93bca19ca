/**
 * The writes of one execution: checkpoints committed one after the other under
 * its fencing token, each carrying the run fields it must update (steps
 * settled, the resume point when it moved, the replay marker), and the size
 * limits every saved value passes. A rejected or failed write loses the run —
 * unless the run was cancelled: then the outcomes of the steps in flight are
 * still written (the store keeps them and nothing else), the rest is not.
 */

import type { Services } from "../services.js";
import { isTransientStoreError, type Checkpoint, type RunPatch, type RunRecord, type Store } from "../store.js";
import type { Mode, ResumePoint } from "./resume-point.js";

/** Thrown inside step bodies once the run is lost: nothing more may be written. */
export const LOST: unique symbol = Symbol("lost");

export type CheckpointWrite = Omit<Checkpoint, "runId" | "fence" | "run"> & { run?: RunPatch };

export interface WriteOptions {
  /** a step.run outcome: counts against maxSteps */
  settled?: boolean;
  /** include the resume point when the store does not hold it yet */
  withState?: boolean;
}

export class Checkpoints {
  /** our fencing token; moves when this process re-claims its own run (see Engine.adopt) */
  fence: number;
  /**
   * Until when our lease surely holds, by our clock: the time our last
   * acquisition or renewal was sent, plus the lease. Nobody can take the run
   * over before then (the store compares their clocks with the expiry we set).
   */
  private leaseUntil: number;
  private lostRun = false;
  private cancelledRun = false;
  /** a checkpoint that hands the run back (finished or suspended) was queued: nothing is written after it */
  private handingBack = false;
  /** A store error that will recur: the run fails with it (see `storeFailed`). */
  failure: Error | null = null;
  private stepsDone: number;
  /**
   * The status and wake-up time our last committed checkpoint wrote: while we
   * hold the fence and the run is running, nobody else changes them (a cancel
   * is refused by the next checkpoint anyway), so a checkpoint leaves them out
   * — not re-writing `wake_at` keeps SQLite from re-writing an index page.
   */
  private written: { status?: string; wakeAt?: number | null } = {};
  private writes: Promise<unknown> = Promise.resolve();
  /** the number of the last checkpoint started (`Checkpoint.seq`): a late copy of one never applies over a later one */
  private seq = 0;
  /** checkpoints started and not yet settled */
  private queued = 0;

  constructor(
    private readonly services: Services,
    private readonly store: Store,
    private readonly run: RunRecord,
    private readonly point: ResumePoint,
    private readonly mode: Mode,
    /** told once, when the run is lost */
    private readonly onLost: () => void,
    /** told once, when the run was cancelled */
    private readonly onCancelled: () => void,
  ) {
    this.fence = run.fence;
    this.leaseUntil = run.leaseExpiresAt ?? 0;
    this.stepsDone = run.stepsDone;
  }

  /** A renewal of our lease (same fence) succeeded. */
  holdLease(fence: number, until: number): void {
    if (fence === this.fence) this.leaseUntil = Math.max(this.leaseUntil, until);
  }

  /**
   * Our own scheduler claimed the run under the next fence (our lease lapsed, e.g. a late renewal): we carry on
   * under it — unless we have handed the run back already (its last checkpoint is queued or committed: it was
   * claimed because it is due again), or lost it. Then the claim is a new execution's: false.
   */
  reclaimed(fence: number, until: number): boolean {
    if (fence !== this.fence + 1 || this.handingBack || this.lostRun) return false;
    [this.fence, this.leaseUntil] = [fence, until];
    return true;
  }

  /**
   * Before a side effect (a step body, the handler's first line): the run must
   * still be ours. Free while the lease surely holds; otherwise (a renewal came
   * late: a paused process, a claim answered late) renews it now, and loses
   * the run if someone else took it or the lease cannot be confirmed in time.
   * The margin covers clock differences between processes. Synchronous (no
   * promise: it runs around every step) while the lease surely holds.
   */
  ensureLease(): void | Promise<void> {
    if (this.lostRun) throw LOST;
    if (this.services.clock.now() < this.leaseUntil - this.margin()) return;
    return this.confirmLease();
  }

  /** How long before our lease expires we stop counting on it: covers clock differences between processes. */
  private margin(): number {
    return Math.min(this.services.leaseMs / 4, 1000);
  }

  /** Renews the lease now; loses the run if someone else took it or it cannot be confirmed in time. */
  private async confirmLease(): Promise<void> {
    const { clock, leaseMs } = this.services;
    const sentAt = clock.now();
    const fence = this.fence;
    let held = false;
    try {
      held = await this.store.renewLease(this.run.id, fence, leaseMs, sentAt);
    } catch (error) {
      this.services.logger.warn(`[durable] run ${this.run.id}: could not confirm its lease, abandoning this execution`, error);
    }
    if (held) this.holdLease(fence, sentAt + leaseMs);
    else await this.refused();
    if (!held || this.lostRun || clock.now() >= this.leaseUntil - this.margin()) {
      if (!this.cancelledRun) this.lose();
      throw LOST;
    }
  }

  /** True once the run belongs to someone else (fenced out, store failure, client closed). */
  get lost(): boolean {
    return this.lostRun;
  }

  lose(): void {
    if (this.lostRun) return;
    this.lostRun = true;
    this.onLost();
  }

  /** True once the run was cancelled (in this process, or noticed through a refused write or renewal). */
  get cancelled(): boolean {
    return this.cancelledRun;
  }

  cancel(): void {
    if (this.cancelledRun || this.lostRun) return;
    this.cancelledRun = true;
    this.onCancelled();
  }

  /** The store refused a write or a lease renewal: the run was cancelled, or it is someone else's now. */
  async refused(): Promise<void> {
    if (this.lostRun || this.cancelledRun) return;
    const run = await this.store.getRun(this.run.id).catch(() => null);
    if (run?.status === "cancelled") this.cancel();
    else this.lose();
  }

  /**
   * A store call failed. A transient error (connection lost, restart, timeout)
   * abandons this execution: the lease lapses and the run is retried from its
   * last checkpoint. Any other error would only recur: the run fails with it
   * at once instead of re-running its steps in a loop. Either way nothing more
   * reaches the handler. Throws LOST.
   */
  storeFailed(error: unknown, what: string): never {
    const { logger } = this.services;
    if (isTransientStoreError(error) || this.failure || this.lostRun) {
      logger.warn(`[durable] run ${this.run.id}: ${what}, abandoning this execution (the run is retried)`, error);
      this.lose();
    } else {
      logger.error(`[durable] run ${this.run.id}: ${what} and would not be the next time; the run fails`, error);
      this.failure = new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      this.onLost();
    }
    throw LOST;
  }

  /**
   * Queues one checkpoint after the previous ones; resolves once it is
   * committed. Rejects with LOST when the run is no longer ours, or with the
   * error that made the checkpoint impossible (unsaveable locals, a limit).
   */
  write(cp: CheckpointWrite, options?: WriteOptions): Promise<void> {
    const settled = options?.settled === true;
    const withState = options?.withState !== false;
    if (cp.releaseLease) this.handingBack = true;
    const commit = () => this.commit(cp, settled, withState);
    // checkpoints commit one after the other, whatever became of the previous one
    const done = this.queued === 0 ? commit() : this.writes.then(commit, commit);
    this.queued++;
    this.writes = done;
    return done;
  }

  /**
   * One checkpoint. A transient store error is retried while our lease surely
   * holds (the fence makes a late retry harmless): a short outage must not
   * cost a step body that already ran. Throws LOST when we were fenced out.
   */
  private async commit(cp: CheckpointWrite, settled: boolean, withState: boolean): Promise<void> {
    try {
      // once cancelled, only the outcomes of step.run attempts in flight are still written
      if (this.lostRun || (this.cancelledRun && !settled)) throw LOST;
      let run = this.runPatch(settled, withState);
      if (run instanceof Promise) run = await run;
      if (cp.run) Object.assign(run, cp.run);
      const { clock } = this.services;
      // one shape for every checkpoint (a spread of `cp` would make one per kind of write)
      const checkpoint: Checkpoint = {
        runId: this.run.id, fence: this.fence, seq: ++this.seq, now: clock.now(), run, step: cp.step, wait: cp.wait, matcher: cp.matcher,
        releaseLease: cp.releaseLease, dueIfCompleted: cp.dueIfCompleted,
      };
      for (let delay = 25; ; delay = Math.min(delay * 2, 1000)) {
        let ok: boolean;
        try {
          ok = await this.store.checkpoint(checkpoint);
        } catch (error) {
          const what = `${cp.step ? `the outcome of step "${cp.step.id}"` : "the run's progress"} could not be stored`;
          if (!isTransientStoreError(error) || this.lostRun || clock.now() + delay >= this.leaseUntil - this.margin()) this.storeFailed(error, what);
          this.services.logger.warn(`[durable] run ${this.run.id}: ${what}, trying again`, error);
          await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), delay));
          checkpoint.now = clock.now();
          // the attempt may have committed (only its answer was lost), or may still (a statement on a cut connection):
          // the retry keeps its number (`seq`), so only one of them applies; the whole text writes the same again,
          // where the edit, made for the text before it, would be refused by a store that does not number checkpoints
          if (run.localsEdit) {
            run.locals = this.point.lastLocals;
            delete run.localsEdit;
          }
          continue;
        }
        if (!ok) {
          await this.refused();
          throw LOST;
        }
        if (run.status !== undefined) this.written = { status: run.status, wakeAt: run.wakeAt };
        return;
      }
    } finally {
      this.queued--;
    }
  }

  /** Resolves once every checkpoint queued so far has settled (committed or not). */
  async idle(): Promise<void> {
    await this.writes.catch(() => {});
  }

  /** Throws past `maxStateBytes`, naming what was too large. */
  readonly checkSize = (text: string, what: string): void => {
    const max = this.services.limits.maxStateBytes;
    if (text.length > max) throw new Error(`${what} is ${text.length} bytes serialized, more than the limit of ${max} (maxStateBytes)`);
  };

  /** The run fields a checkpoint writes. */
  private runPatch(settled: boolean, withState: boolean): RunPatch | Promise<RunPatch> {
    if (settled) {
      const { maxSteps } = this.services.limits;
      if (this.stepsDone >= maxSteps) throw new Error(`Run ${this.run.id} exceeded the limit of ${maxSteps} steps (maxSteps)`);
      this.stepsDone++;
    }
    const patch: RunPatch = { stepsDone: this.stepsDone };
    if (this.written.status !== "running" || this.written.wakeAt !== null) Object.assign(patch, { status: "running", wakeAt: null });
    // a run replayed by another version stays in replay mode for good: its saved resume point
    // no longer accounts for the steps recorded since (version null never matches a machine)
    if (this.mode === "replay" && this.run.version !== null) patch.version = null;
    if (!withState) return patch;
    const point = this.point.unsaved(this.checkSize);
    if (point === null) return patch;
    return point instanceof Promise ? point.then((saved) => Object.assign(patch, saved)) : Object.assign(patch, point);
  }
}
