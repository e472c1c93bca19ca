/**
 * The step tools of one execution (`step.run`, `sleep`, `sleepUntil`,
 * `waitForEvent`) and what they leave for the execution to do: step bodies in
 * flight, and the registrations and wake-up times of the steps that suspended.
 *
 * A suspending step's promise never settles; once the execution freezes (it
 * suspends, finishes or is lost) no step promise settles any more.
 */

import { parseDuration, parseTime, wakeTime } from "../duration.js";
import { NonRetriableError, StepError, toError } from "../errors.js";
import { checkEventName, compileCondition, eventMatcher, waitMatchKey } from "../events.js";
import { deserialize, finish, serialize, snapshot, UnserializableError, type Snapshot } from "../serialize.js";
import type { EndpointDef, Services } from "../services.js";
import type { EventMatcher, StepRecord, Store, WaitRecord } from "../store.js";
import type { DurableEvent, StepTools, WaitForEventOptions } from "../types.js";
import { LOST, type Checkpoints, type WriteOptions } from "./checkpoints.js";
import type { ResumePoint } from "./resume-point.js";
import { retryAt, serializeError } from "./retry.js";

/** The write options of a step.run outcome. */
const SETTLED: WriteOptions = Object.freeze({ settled: true });
/** Returned by step bodies that suspend the run. */
const SUSPENDED: unique symbol = Symbol("suspended");
/** A promise that never settles; a fresh one each time so abandoned continuations can be collected. */
const never = <T>() => new Promise<T>(() => {});
/** The next turn of the event loop (setImmediate where there is one: no clock, no delay). */
export const nextTurn = (callback: () => void) =>
  (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate?.(callback) ?? setTimeout(callback, 0);

/** A step to write with the suspension (a sleep, a wait, a failed attempt). */
export interface Registration {
  step: StepRecord;
  wait?: WaitRecord;
  /** with `wait`: decides which events already stored resolve it (see Checkpoint.wait) */
  matcher?: EventMatcher;
}

export class Steps {
  readonly tools: StepTools;
  /** recorded steps by id (replay mode) */
  private readonly memo = new Map<string, StepRecord>();
  /** step bodies running (a body and its checkpoint, until its outcome is handed over or dropped) */
  private running = 0;
  /** told when `running` drops to 0 */
  private idle: (() => void)[] = [];
  private frozen = false;
  readonly registrations: Registration[] = [];
  private readonly wakeAts: number[] = [];
  /** step ids of the waits the suspension waits on */
  readonly openWaits: string[] = [];
  /** recorded outcomes asked for and not yet handed to the handler: one per turn, earliest first */
  private replaying: { at: number; release: () => void }[] = [];
  /** a turn is scheduled to hand over the next of `replaying` */
  private releaseScheduled = false;
  /** a recorded outcome was handed over already (later ones wait a turn each) */
  private released = false;
  /** store reads of recorded steps in flight (a compiled resume, in the state it resumed at) */
  private looking = 0;
  private wake!: () => void;
  /** Resolves when a step suspends or the execution must stop. */
  readonly suspendRequested = new Promise<void>((resolve) => (this.wake = resolve));

  constructor(
    private readonly services: Services,
    private readonly def: EndpointDef,
    private readonly runId: string,
    private readonly store: Store,
    private readonly point: ResumePoint,
    private readonly checkpoints: Checkpoints,
    recorded: readonly StepRecord[],
    /** the run's trigger event (what `match` compares with) */
    private readonly trigger: () => DurableEvent,
  ) {
    for (const step of recorded) this.memo.set(step.id, step);
    const { clock } = services;
    this.tools = {
      run: (id, fn) => this.run(id, fn),
      sleep: (id, duration) => {
        const what = `duration of step.sleep("${id}")`;
        return this.sleep(id, "sleep", () => wakeTime(clock.now() + parseDuration(duration, what), clock.now(), what));
      },
      sleepUntil: (id, until) => {
        const what = `time of step.sleepUntil("${id}")`;
        return this.sleep(id, "sleepUntil", () => wakeTime(parseTime(until, what), clock.now(), what));
      },
      waitForEvent: (id, options) => this.waitForEvent(id, options) as never,
    };
  }

  /** True while step bodies are running. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Resolves once no step body is running (bodies started meanwhile included). */
  async inflightSettled(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** From now on nothing reaches the handler; wakes the execution if it waits for a suspension. */
  stop(): void {
    this.frozen = true;
    this.wake();
  }

  /** Freezes the steps and waits for the bodies still running. */
  async settle(): Promise<void> {
    this.frozen = true;
    await this.inflightSettled();
  }

  /** The earliest time a suspended step asked to be woken at, if any. */
  wakeAt(): number | null {
    return this.wakeAts.length > 0 ? Math.min(...this.wakeAts) : null;
  }

  /** Runs a step body; what reaches the handler is frozen once the execution suspends or is lost. */
  private track<T>(work: () => Promise<T | typeof SUSPENDED>): Promise<T> {
    return this.frozen ? never() : this.delivered(work);
  }

  /**
   * The step's outcome, once the lease is confirmed: a process paused past its
   * lease (its store I/O stalled, its event loop starved) lets nothing reach
   * the handler, so it runs no code past a resume point another process moved.
   * Never settles when the step suspended, or the execution froze or lost the run.
   */
  private async delivered<T>(work: () => Promise<T | typeof SUSPENDED>): Promise<T> {
    this.running++;
    try {
      let value: T | typeof SUSPENDED = SUSPENDED;
      let failure: { error: unknown } | null = null;
      try {
        value = await work();
      } catch (error) {
        if (error === LOST) return never();
        failure = { error };
      }
      if (failure === null && value === SUSPENDED) return never();
      const ours = this.stillOurs();
      // no promise (no turn) while the lease surely holds: this runs after every step
      if (ours !== true && (ours === false || !(await ours))) return never();
      if (failure !== null) throw failure.error;
      return value as T;
    } finally {
      if (--this.running === 0) for (const told of this.idle.splice(0)) told();
    }
  }

  /** Whether a step's outcome may reach the handler: the execution is not frozen and the run is still ours. */
  private stillOurs(): boolean | Promise<boolean> {
    if (this.frozen) return false;
    let confirming: void | Promise<void>;
    try {
      confirming = this.checkpoints.ensureLease();
    } catch (error) {
      if (error === LOST) return false;
      throw error;
    }
    if (!confirming) return true;
    return confirming.then(
      () => !this.frozen,
      (error: unknown) => (error === LOST ? false : Promise.reject(error)),
    );
  }

  /**
   * Hands a recorded outcome (one that happened at `at`) to the handler in
   * the order outcomes happened, not the order they are asked for: a
   * Promise.race re-run on resume settles the way it did the first time, and a
   * wait that lost it stays lost even if its event came later.
   */
  private happened(at: number): Promise<void> {
    return new Promise((release) => {
      this.replaying.push({ at, release });
      // Read from the store (a compiled resume): the steps the handler asked for together were all asked for before
      // the first read came back, so once no read is in flight, the only outcome there is goes at once — no turn of
      // the event loop per resume. Several, or outcomes served from memory (replay), go one per turn, earliest first.
      if (this.memo.size === 0 && this.looking === 0 && !this.released && !this.releaseScheduled && this.replaying.length === 1) this.releaseNext();
      else this.scheduleRelease();
    });
  }

  private scheduleRelease(): void {
    if (this.releaseScheduled || this.replaying.length === 0) return;
    this.releaseScheduled = true;
    nextTurn(() => {
      this.releaseScheduled = false;
      this.releaseNext();
    });
  }

  private releaseNext(): void {
    if (this.replaying.length === 0) return;
    this.released = true;
    this.replaying.sort((a, b) => a.at - b.at);
    this.replaying.shift()!.release();
    this.scheduleRelease();
  }

  /** The step's record, if it may exist: a store read only while resuming at a compiled state. */
  private lookup(stepId: string): StepRecord | null | Promise<StepRecord | null> {
    const known = this.memo.get(stepId);
    if (known || !this.point.resuming) return known ?? null;
    this.looking++;
    return this.read(() => this.store.getStep(this.runId, stepId), `step "${stepId}" could not be read`);
  }

  /**
   * A store read of `lookup` is back. Called in the same turn as, and right before, the caller hands over the
   * outcome it read (`happened`), if any: outcomes that waited for this read go from the next turn (this one's
   * joins them). Not from a helper's `finally` (another read's caller could run between the two).
   */
  private readBack(): void {
    if (--this.looking === 0) this.scheduleRelease();
  }

  /** A store read: a failure never reaches the handler (see Checkpoints.storeFailed). */
  private async read<T>(call: () => Promise<T>, what: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.checkpoints.storeFailed(error, what);
    }
  }

  private run<T>(id: string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    return this.track(async (): Promise<Awaited<T> | typeof SUSPENDED> => {
      const stepId = this.point.nextId(id);
      let found = this.lookup(stepId);
      if (found instanceof Promise) {
        try {
          found = await found;
        } finally {
          this.readBack();
        }
      }
      if (found?.status === "completed" || found?.status === "failed") await this.happened(found.updatedAt);
      if (found?.status === "completed") return deserialize<Awaited<T>>(found.output!);
      if (found?.status === "failed") throw this.stepError(stepId, found.output!);
      if (found && found.wakeAt !== null && found.wakeAt > this.services.clock.now()) return this.suspendOn(found.wakeAt);
      if (this.frozen) return SUSPENDED;

      // the body is a side effect: run it only while the run is surely ours
      const confirming = this.checkpoints.ensureLease();
      if (confirming) await confirming;
      if (this.frozen) return SUSPENDED;
      const startedAt = found?.startedAt ?? this.services.clock.now();
      let value: Awaited<T>;
      try {
        const result = fn();
        // a primitive is no thenable: no turn to wait for
        value = result !== null && (typeof result === "object" || typeof result === "function") ? await result : (result as Awaited<T>);
      } catch (thrown) {
        return this.failAttempt(stepId, startedAt, found?.attempts ?? 0, thrown);
      }
      let output = this.serializeResult(value, stepId);
      if (typeof output !== "string") output = await output;
      // `attempts` counts the failures before this success: the record keeps them
      const attempts = found?.attempts ?? 0;
      await this.checkpoints.write({ step: this.record(stepId, "run", "completed", { startedAt, output, attempts }) }, SETTLED);
      // the handler sees the stored copy; a primitive is its own copy
      return value === null || typeof value !== "object" ? value : deserialize<Awaited<T>>(output);
    });
  }

  private async failAttempt(stepId: string, startedAt: number, previous: number, thrown: unknown): Promise<typeof SUSPENDED> {
    const error = toError(thrown);
    const attempts = previous + 1;
    const output = await serializeError(error, this.services.limits.maxStateBytes);
    const { retries, logger } = this.services;
    if (error instanceof NonRetriableError || attempts > retries) {
      await this.checkpoints.write({ step: this.record(stepId, "run", "failed", { startedAt, output, attempts }) }, SETTLED);
      throw this.stepError(stepId, output);
    }
    const wakeAt = retryAt(error, attempts, this.services);
    this.registrations.push({ step: this.record(stepId, "run", "retrying", { startedAt, output, attempts, wakeAt }) });
    logger.warn(`[durable] run ${this.runId}: step "${stepId}" failed (attempt ${attempts} of ${retries + 1}), retrying at ${new Date(wakeAt).toISOString()}: ${error.message}`);
    return this.suspendOn(wakeAt);
  }

  private sleep(id: string, kind: "sleep" | "sleepUntil", until: () => number): Promise<void> {
    return this.track(async () => {
      const wakeAt = until(); // validates before the id is taken
      const stepId = this.point.nextId(id);
      let found = this.lookup(stepId);
      if (found instanceof Promise) {
        try {
          found = await found;
        } finally {
          this.readBack();
        }
      }
      if (found?.status === "completed") return this.happened(found.updatedAt);
      const due = found?.wakeAt ?? wakeAt;
      // an elapsed sleep needs no write: a waiting step whose time has passed counts as done
      if (due <= this.services.clock.now()) return found ? this.happened(due) : undefined;
      if (!found) this.registrations.push({ step: this.record(stepId, kind, "waiting", { wakeAt: due }) });
      return this.suspendOn(due);
    });
  }

  private waitForEvent(id: string, options: WaitForEventOptions): Promise<DurableEvent | null> {
    const { clock } = this.services;
    return this.track(async () => {
      const { event, match, timeout, if: expr } = options ?? ({} as Partial<WaitForEventOptions>);
      checkEventName(event, `step.waitForEvent("${id}"): "event"`);
      if (timeout === undefined) throw new TypeError(`step.waitForEvent("${id}"): "timeout" is required (e.g. "24h")`);
      compileCondition(expr, match, id);
      const now = clock.now();
      // began now, after every event the run has seen: those never count, whatever the clocks say
      const { since, seen } = this.point.waitStart(now);
      const what = `timeout of step.waitForEvent("${id}")`;
      // a timeout already past times out at once
      const timeoutAt = Math.max(now, wakeTime(timeout instanceof Date ? parseTime(timeout, what) : now + parseDuration(timeout, what), now, what));
      const stepId = this.point.nextId(id);
      let found = this.lookup(stepId);
      if (found instanceof Promise) {
        try {
          found = await found;
        } finally {
          this.readBack();
        }
      }
      if (found?.status === "completed") {
        await this.happened(found.updatedAt);
        return this.received(deserialize<DurableEvent | null>(found.output!));
      }
      if (found) {
        if (found.wakeAt! > clock.now()) return this.suspendOn(found.wakeAt!, stepId);
        await this.happened(found.wakeAt!);
        // timed out: resolve the wait with null, unless an event won the race
        const nothing = await serialize(null);
        const what = `the timeout of step "${stepId}" could not be stored`;
        if (await this.read(() => this.store.resolveWait(this.runId, stepId, nothing, clock.now()), what)) return null;
        const resolved = await this.read(() => this.store.getStep(this.runId, stepId), `step "${stepId}" could not be read`);
        return this.received(deserialize<DurableEvent | null>(resolved?.output ?? nothing));
      }
      const matchKey = waitMatchKey(this.trigger(), match);
      const wait: WaitRecord = { runId: this.runId, stepId, event, match: match ?? null, matchKey, expr: expr ?? null, since, seen, timeoutAt };
      this.registrations.push({ step: this.record(stepId, "waitForEvent", "waiting", { wakeAt: timeoutAt }), wait, matcher: eventMatcher() });
      return this.suspendOn(timeoutAt, stepId);
    });
  }

  /** A wait's outcome, as the handler gets it: an event is one the run has seen. */
  private received(event: DurableEvent | null): DurableEvent | null {
    if (event) this.point.saw(event, this.services.clock.now());
    return event;
  }

  private suspendOn(wakeAt: number, waitStepId?: string): typeof SUSPENDED {
    this.wakeAts.push(wakeAt);
    if (waitStepId !== undefined) this.openWaits.push(waitStepId);
    this.wake();
    return SUSPENDED;
  }

  private record(id: string, kind: StepRecord["kind"], status: StepRecord["status"], fields: Partial<StepRecord>): StepRecord {
    const now = this.services.clock.now();
    // every field named: one object shape for every step record (a spread of `fields` would make several)
    return {
      runId: this.runId, id, kind, status, attempts: fields.attempts ?? 0, output: fields.output ?? null, wakeAt: fields.wakeAt ?? null,
      startedAt: fields.startedAt ?? now, updatedAt: now,
    };
  }

  private stepError(stepId: string, output: string): StepError {
    return new StepError(stepId, deserialize<Error>(output));
  }

  private serializeResult(value: unknown, stepId: string): string | Promise<string> {
    let saved: Snapshot;
    try {
      saved = snapshot(value);
    } catch (error) {
      if (!(error instanceof UnserializableError)) throw error;
      const at = error.path ? ` at result${error.path}` : "";
      throw new Error(`Step "${stepId}" (state ${this.point.state} of endpoint "${this.def.id}") returned ${error.detail}${at}; step results must be serializable`);
    }
    const checked = (text: string) => {
      this.checkpoints.checkSize(text, `the result of step "${stepId}"`);
      return text;
    };
    const text = finish(saved);
    return typeof text === "string" ? checked(text) : text.then(checked);
  }
}
