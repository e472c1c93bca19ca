/**
 * The writes of one execution: checkpoints committed one after the other under
 * its fencing token, each carrying the run fields it must update (steps
 * settled, the resume point when it moved, the replay marker), and the size
 * limits every saved value passes. A rejected or failed write loses the run.
 */

import type { Services } from "../services.js";
import type { Checkpoint, RunPatch, RunRecord, Store } from "../store.js";
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
  private lostRun = false;
  private stepsDone: number;
  private writes: Promise<unknown> = Promise.resolve();
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
  ) {
    this.fence = run.fence;
    this.stepsDone = run.stepsDone;
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

  /**
   * Queues one checkpoint after the previous ones; resolves once it is
   * committed. Rejects with LOST when the run is no longer ours, or with the
   * error that made the checkpoint impossible (unsaveable locals, a limit).
   */
  write(cp: CheckpointWrite, { settled = false, withState = true }: WriteOptions = {}): Promise<void> {
    const commit = async () => {
      try {
        if (this.lostRun) throw LOST;
        let patch = this.runPatch(settled, withState);
        if (patch instanceof Promise) patch = await patch;
        let ok: boolean;
        try {
          const now = this.services.clock.now();
          ok = await this.store.checkpoint({ ...cp, run: { ...patch, ...cp.run }, runId: this.run.id, fence: this.fence, now });
        } catch (error) {
          this.services.logger.error(`[durable] run ${this.run.id}: checkpoint failed, abandoning this execution`, error);
          ok = false;
        }
        if (!ok) {
          this.lose();
          throw LOST;
        }
      } finally {
        this.queued--;
      }
    };
    // checkpoints commit one after the other, whatever became of the previous one
    const done = this.queued === 0 ? commit() : this.writes.then(commit, commit);
    this.queued++;
    this.writes = done;
    return done;
  }

  /** Resolves once every checkpoint queued so far has settled (committed or not). */
  async idle(): Promise<void> {
    await this.writes.catch(() => {});
  }

  /** Throws past `maxStateBytes`, naming what was too large. */
  checkSize(text: string, what: string): void {
    const max = this.services.limits.maxStateBytes;
    if (text.length > max) throw new Error(`${what} is ${text.length} bytes serialized, more than the limit of ${max} (maxStateBytes)`);
  }

  /** The run fields a checkpoint writes. */
  private runPatch(settled: boolean, withState: boolean): RunPatch | Promise<RunPatch> {
    if (settled) {
      const { maxSteps } = this.services.limits;
      if (this.stepsDone >= maxSteps) throw new Error(`Run ${this.run.id} exceeded the limit of ${maxSteps} steps (maxSteps)`);
      this.stepsDone++;
    }
    const patch: RunPatch = { status: "running", wakeAt: null, stepsDone: this.stepsDone };
    // a run replayed by another version stays in replay mode for good: its saved resume point
    // no longer accounts for the steps recorded since (version null never matches a machine)
    if (this.mode === "replay" && this.run.version !== null) patch.version = null;
    if (!withState) return patch;
    const point = this.point.unsaved((text, what) => this.checkSize(text, what));
    if (point === null) return patch;
    return point instanceof Promise ? point.then((saved) => ({ ...patch, ...saved })) : { ...patch, ...point };
  }
}
