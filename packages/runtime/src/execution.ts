/**
 * One execution of a run, from its resume point until it finishes or suspends.
 *
 * Compiled mode runs a MachineDefinition from the saved `(state, locals,
 * counters)`: only the step rows the pending await asks for are read, and
 * every checkpoint is one store write. Replay mode (plain handlers, or a run
 * saved by another machine version) runs from the top and serves steps from
 * the memo by stable step ID.
 *
 * Suspension: the suspending step's promise never settles; the execution
 * freezes (no step promise settles any more), lets in-flight siblings commit,
 * then writes the suspension.
 */

import { createAmbient } from "./ambient.js";
import type { Core, EndpointDef } from "./core.js";
import { parseDuration, parseTime } from "./duration.js";
import { NonRetriableError, RetryAfterError, StepError } from "./errors.js";
import { compileCondition } from "./events.js";
import type { MachineContext } from "./machine.js";
import { deserialize, finish, serialize, serializeMessage, snapshot, UnserializableError, type Snapshot } from "./serialize.js";
import type { Checkpoint, RunPatch, RunRecord, StepRecord, Store, WaitRecord } from "./store.js";
import type { DurableEvent, StepTools, WaitForEventOptions } from "./types.js";
import { errorResponse } from "./responses.js";

export type Outcome =
  | { kind: "done"; response: Response }
  /** `due`: an event resolved one of its waits while it was suspending: run it again now */
  | { kind: "suspended"; wakeAt: number | null; due: boolean }
  /** the run is no longer ours (fenced out, store failure, client closed) */
  | { kind: "lost" };

/** Carries the current execution into the ambient `step`. */
export const ambient = createAmbient<Execution>();

/** Returned by step bodies that suspend the run. */
const SUSPENDED: unique symbol = Symbol("suspended");
/** Thrown inside step bodies once the run is lost: nothing more may be written. */
const LOST: unique symbol = Symbol("lost");
const NO_LOCALS: Snapshot = snapshot({});
/** A promise that never settles; a fresh one each time so abandoned continuations can be collected. */
const never = <T>() => new Promise<T>(() => {});

interface Registration {
  step: StepRecord;
  wait?: WaitRecord;
}

export class Execution {
  readonly tools: StepTools;
  private readonly compiled: boolean;
  private readonly locals: Record<string, unknown>;
  private state: number;
  private counters: Record<string, number>;
  private countersText: string | null;
  private memo = new Map<string, StepRecord>();
  /** compiled mode, resumed, still in the resume state: steps may exist in the store */
  private lookupStore: boolean;
  /** state entries so far; `writtenEntry` = the one whose (state, locals) the store holds */
  private entry = 0;
  private writtenEntry = 0;
  private stateLocals: Snapshot | Error;
  private stateCounters: string | null;
  private stepsDone: number;
  private inflight = new Set<Promise<unknown>>();
  private registrations: Registration[] = [];
  private wakeAts: number[] = [];
  private openWaits: string[] = [];
  private frozen = false;
  private lost = false;
  private writes: Promise<unknown> = Promise.resolve();
  /** checkpoints started and not yet settled (they commit one after the other) */
  private queued = 0;
  /** our fencing token; moves when this process re-claims its own run (see Engine.adopt) */
  fence: number;
  private signalSuspend!: () => void;
  private suspendRequested = new Promise<void>((resolve) => (this.signalSuspend = resolve));

  constructor(
    private readonly core: Core,
    private readonly def: EndpointDef,
    private readonly run: RunRecord,
    private readonly req: Request,
    fresh: boolean,
    private readonly store: Store,
    /** replay mode: the run's recorded steps */
    steps: StepRecord[] | null,
  ) {
    this.fence = run.fence;
    const machine = def.machine;
    this.compiled = machine !== null && (fresh || run.version === machine.version);
    this.stepsDone = run.stepsDone;
    this.lookupStore = this.compiled && !fresh;
    if (this.compiled) {
      this.state = run.state;
      this.locals = run.locals ? deserialize<Record<string, unknown>>(run.locals) : {};
      this.counters = run.counters ? Object.assign(Object.create(null), JSON.parse(run.counters)) : Object.create(null);
      this.stateLocals = run.locals ? { text: run.locals, bodies: [] } : NO_LOCALS;
      this.stateCounters = run.counters;
    } else {
      this.state = 0;
      this.locals = {};
      this.counters = Object.create(null);
      this.stateLocals = NO_LOCALS;
      this.stateCounters = null;
      for (const step of steps ?? []) this.memo.set(step.id, step);
    }
    this.countersText = this.stateCounters;
    this.tools = {
      run: (id, fn) => this.runStep(id, fn),
      sleep: (id, duration) => this.sleep(id, "sleep", () => Date.now() + parseDuration(duration, `duration of step.sleep("${id}")`)),
      sleepUntil: (id, until) => this.sleep(id, "sleepUntil", () => parseTime(until, `time of step.sleepUntil("${id}")`)),
      waitForEvent: (id, options) => this.waitForEvent(id, options) as never,
    };
  }

  get runId(): string {
    return this.run.id;
  }

  /** Runs until the handler returns, throws, or suspends. Never rejects. */
  async execute(): Promise<Outcome> {
    const handler: { settled?: { value: unknown } | { error: unknown } } = {};
    const body = ambient
      .run(this, async () => (this.def.machine ? this.def.machine.resume(this.context(), this.req) : this.def.handler!(this.req)))
      .then(
        (value) => void (handler.settled = { value }),
        (error: unknown) => void (handler.settled = { error }),
      );
    await Promise.race([body, this.suspendRequested]);
    try {
      if (!handler.settled && !this.lost) await this.quiesce(() => handler.settled !== undefined);
      if (this.lost) return { kind: "lost" };
      const settled = handler.settled;
      if (!settled) return await this.suspend();
      await this.settleInflight();
      if ("error" in settled) return await this.finish(errorResponse(settled.error, this.core.logger, this.run.id), "failed");
      if (!(settled.value instanceof Response)) {
        const error = new TypeError(`Endpoint "${this.def.id}" must return a Response (got ${describe(settled.value)})`);
        return await this.finish(errorResponse(error, this.core.logger, this.run.id), "failed");
      }
      return await this.finish(settled.value, "completed");
    } catch (error) {
      if (error !== LOST) this.core.logger.error(`[durable] run ${this.run.id}: could not persist its outcome`, error);
      this.lose();
      return { kind: "lost" };
    }
  }

  /**
   * A step asked to suspend. Siblings still running (`Promise.all`) settle and
   * reach the handler first, as in plain JavaScript: a final failure may
   * settle the handler (then the suspension is dropped), or it may start more
   * steps. Returns once the handler has settled or only suspended steps remain.
   */
  private async quiesce(handlerSettled: () => boolean): Promise<void> {
    for (;;) {
      while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      await new Promise((resolve) => setTimeout(resolve, 0)); // the handler reacts to what was delivered
      if (handlerSettled() || this.lost || this.inflight.size === 0) return;
    }
  }

  /** Stop writing: the run belongs to someone else now (or the client is closing). */
  lose(): void {
    this.lost = true;
    this.frozen = true;
    this.signalSuspend();
  }

  private context(): MachineContext {
    const exec = this;
    return {
      get state() {
        return exec.state;
      },
      set state(next: number) {
        exec.enterState(next);
      },
      locals: this.locals,
      step: this.tools,
    };
  }

  /** `$.state = S`: a new resume point. Snapshot what a checkpoint in S must save. */
  private enterState(next: number): void {
    this.state = next;
    if (!this.compiled) return;
    this.lookupStore = false;
    this.entry++;
    if (this.countersText === null) this.countersText = JSON.stringify(this.counters);
    this.stateCounters = this.countersText;
    const live = this.def.machine!.live[next] ?? [];
    if (live.length === 0) {
      this.stateLocals = NO_LOCALS;
      return;
    }
    const saved: Record<string, unknown> = {};
    for (const name of live) if (name in this.locals) saved[name] = this.locals[name];
    try {
      this.stateLocals = snapshot(saved);
    } catch (error) {
      this.stateLocals = this.describeUnsaveable(error, next);
    }
  }

  private describeUnsaveable(error: unknown, state: number): Error {
    if (!(error instanceof UnserializableError)) return error as Error;
    const local = /^\.([\w$]+)|^\["(.*?)"\]/.exec(error.path);
    const name = local?.[1] ?? local?.[2] ?? error.path;
    const line = this.def.machine?.steps?.find((s) => s.state === state)?.line;
    const where = `state ${state}${line ? ` (the await on line ${line})` : ""} of endpoint "${this.def.id}"`;
    return new Error(`Cannot checkpoint ${where}: local "${name}" holds ${error.detail}${error.path.length > name.length + 1 ? ` at ${name}${error.path.slice(name.length + 1)}` : ""}`);
  }

  private nextId(id: string): string {
    if (typeof id !== "string" || id === "") throw new TypeError(`A step id must be a non-empty string (got ${describe(id)})`);
    const n = this.counters[id] ?? 0;
    this.counters[id] = n + 1;
    this.countersText = null;
    return n === 0 ? id : `${id}:${n}`;
  }

  /** The step's record, if it may exist: a store read only while resuming at a compiled state. */
  private lookup(stepId: string): StepRecord | null | Promise<StepRecord | null> {
    const known = this.memo.get(stepId);
    if (known || !this.lookupStore) return known ?? null;
    return this.store.getStep(this.run.id, stepId);
  }

  /** Runs a step body; what reaches the handler is frozen once the execution suspends or is lost. */
  private track<T>(work: () => Promise<T | typeof SUSPENDED>): Promise<T> {
    if (this.frozen) return never();
    const task = work();
    this.inflight.add(task);
    return task.then(
      (value) => {
        this.inflight.delete(task);
        return value === SUSPENDED || this.frozen ? never<T>() : value;
      },
      (error: unknown) => {
        this.inflight.delete(task);
        return error === LOST || this.frozen ? never<T>() : Promise.reject(error);
      },
    );
  }

  private runStep<T>(id: string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    return this.track(async (): Promise<Awaited<T> | typeof SUSPENDED> => {
      const stepId = this.nextId(id);
      let found = this.lookup(stepId);
      if (found instanceof Promise) found = await found;
      if (found?.status === "completed") return deserialize<Awaited<T>>(found.output!);
      if (found?.status === "failed") throw this.stepError(stepId, found.output!);
      if (found && found.wakeAt !== null && found.wakeAt > Date.now()) return this.suspendOn(found.wakeAt);
      if (this.frozen) return SUSPENDED;

      const startedAt = found?.startedAt ?? Date.now();
      let value: Awaited<T>;
      try {
        value = await fn();
      } catch (thrown) {
        return this.failAttempt(stepId, startedAt, found?.attempts ?? 0, thrown);
      }
      let output = this.serializeResult(value, stepId);
      if (typeof output !== "string") output = await output;
      await this.write({ step: this.stepRecord(stepId, "run", "completed", { startedAt, output }) }, { settled: true });
      // the handler sees the stored copy; a primitive is its own copy
      return value === null || typeof value !== "object" ? value : deserialize<Awaited<T>>(output);
    });
  }

  private async failAttempt(stepId: string, startedAt: number, previous: number, thrown: unknown): Promise<typeof SUSPENDED> {
    const error = toError(thrown);
    const attempts = previous + 1;
    const output = await serializeError(error);
    const final = error instanceof NonRetriableError || attempts > this.core.retries;
    if (final) {
      await this.write({ step: this.stepRecord(stepId, "run", "failed", { startedAt, output, attempts }) }, { settled: true });
      throw this.stepError(stepId, output);
    }
    const wakeAt = this.retryAt(error, attempts);
    this.registrations.push({ step: this.stepRecord(stepId, "run", "retrying", { startedAt, output, attempts, wakeAt }) });
    this.core.logger.warn(`[durable] run ${this.run.id}: step "${stepId}" failed (attempt ${attempts} of ${this.core.retries + 1}), retrying at ${new Date(wakeAt).toISOString()}: ${error.message}`);
    return this.suspendOn(wakeAt);
  }

  private retryAt(error: Error, attempts: number): number {
    const now = Date.now();
    if (error instanceof RetryAfterError) {
      const after = error.retryAfter;
      try {
        return after instanceof Date ? parseTime(after) : now + parseDuration(after, "retryAfter");
      } catch (invalid) {
        this.core.logger.warn(`[durable] ${(invalid as Error).message}; using the default backoff`);
      }
    }
    const { initialMs, maxMs } = this.core.backoff;
    const exponential = Math.min(maxMs, initialMs * 2 ** (attempts - 1));
    return now + Math.round(exponential * (0.5 + Math.random() * 0.5));
  }

  private sleep(id: string, kind: "sleep" | "sleepUntil", until: () => number): Promise<void> {
    return this.track(async () => {
      const wakeAt = until(); // validates before the id is taken
      const stepId = this.nextId(id);
      const found = await this.lookup(stepId);
      if (found?.status === "completed") return;
      const due = found?.wakeAt ?? wakeAt;
      // an elapsed sleep needs no write: a waiting step whose time has passed counts as done
      if (due <= Date.now()) return;
      if (!found) this.registrations.push({ step: this.stepRecord(stepId, kind, "waiting", { wakeAt: due }) });
      return this.suspendOn(due);
    });
  }

  private waitForEvent(id: string, options: WaitForEventOptions): Promise<DurableEvent | null> {
    return this.track(async () => {
      const { event, match, timeout, if: expr } = options ?? ({} as Partial<WaitForEventOptions>);
      if (typeof event !== "string" || event === "") throw new TypeError(`step.waitForEvent("${id}"): "event" must be a non-empty event name`);
      if (timeout === undefined) throw new TypeError(`step.waitForEvent("${id}"): "timeout" is required (e.g. "24h")`);
      compileCondition(expr, match, id);
      const now = Date.now();
      const timeoutAt =
        timeout instanceof Date ? parseTime(timeout) : now + parseDuration(timeout, `timeout of step.waitForEvent("${id}")`);
      const stepId = this.nextId(id);
      const found = await this.lookup(stepId);
      if (found?.status === "completed") return deserialize<DurableEvent | null>(found.output!);
      if (found) {
        if (found.wakeAt! > Date.now()) return this.suspendOn(found.wakeAt!, stepId);
        // timed out: resolve the wait with null, unless an event won the race
        const nothing = await serialize(null);
        if (await this.store.resolveWait(this.run.id, stepId, nothing, Date.now())) return null;
        const resolved = await this.store.getStep(this.run.id, stepId);
        return deserialize<DurableEvent | null>(resolved?.output ?? nothing);
      }
      const wait: WaitRecord = { runId: this.run.id, stepId, event, match: match ?? null, expr: expr ?? null, since: now, timeoutAt };
      this.registrations.push({ step: this.stepRecord(stepId, "waitForEvent", "waiting", { wakeAt: timeoutAt }), wait });
      return this.suspendOn(timeoutAt, stepId);
    });
  }

  private suspendOn(wakeAt: number, waitStepId?: string): typeof SUSPENDED {
    this.wakeAts.push(wakeAt);
    if (waitStepId !== undefined) this.openWaits.push(waitStepId);
    this.signalSuspend();
    return SUSPENDED;
  }

  private stepRecord(
    id: string,
    kind: StepRecord["kind"],
    status: StepRecord["status"],
    fields: Partial<StepRecord>,
  ): StepRecord {
    const now = Date.now();
    return { runId: this.run.id, id, kind, status, attempts: 0, output: null, wakeAt: null, startedAt: now, updatedAt: now, ...fields };
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
      throw new Error(`Step "${stepId}" (state ${this.state} of endpoint "${this.def.id}") returned ${error.detail}${at}; step results must be serializable`);
    }
    const checked = (text: string) => {
      this.checkSize(text, `the result of step "${stepId}"`);
      return text;
    };
    const text = finish(saved);
    return typeof text === "string" ? checked(text) : text.then(checked);
  }

  private checkSize(text: string, what: string): void {
    const max = this.core.limits.maxStateBytes;
    if (text.length > max) throw new Error(`${what} is ${text.length} bytes serialized, more than the limit of ${max} (maxStateBytes)`);
  }

  /**
   * The run fields a checkpoint writes. The resume point is included only when
   * the store does not hold it yet (several steps settling in one state share it).
   */
  private runPatch(settled: boolean, withState: boolean): RunPatch | Promise<RunPatch> {
    if (settled) {
      if (this.stepsDone >= this.core.limits.maxSteps) {
        throw new Error(`Run ${this.run.id} exceeded the limit of ${this.core.limits.maxSteps} steps (maxSteps)`);
      }
      this.stepsDone++;
    }
    const patch: RunPatch = { status: "running", wakeAt: null, stepsDone: this.stepsDone };
    // a run replayed by another version stays in replay mode for good: its saved resume point
    // no longer accounts for the steps recorded since (version null never matches a machine)
    if (!this.compiled && this.run.version !== null) patch.version = null;
    if (!withState || !this.compiled || this.writtenEntry === this.entry) return patch;
    const locals = this.stateLocals;
    if (locals instanceof Error) throw locals;
    const withLocals = (text: string): RunPatch => {
      this.checkSize(text, `the captured locals of state ${this.state}`);
      if (this.stateCounters !== null) this.checkSize(this.stateCounters, "the step-id counters (one entry per distinct step id)");
      this.writtenEntry = this.entry;
      return { ...patch, state: this.state, locals: text, counters: this.stateCounters };
    };
    const text = finish(locals);
    return typeof text === "string" ? withLocals(text) : text.then(withLocals);
  }

  /**
   * Queues one checkpoint after the previous ones; resolves once it is
   * committed. Rejects with LOST when the run is no longer ours, or with the
   * error that made the checkpoint impossible (unsaveable locals, a limit).
   */
  private write(
    cp: Omit<Checkpoint, "runId" | "fence" | "run"> & { run?: RunPatch },
    { settled = false, withState = true } = {},
  ): Promise<void> {
    const commit = async () => {
      try {
        if (this.lost) throw LOST;
        let patch = this.runPatch(settled, withState);
        if (patch instanceof Promise) patch = await patch;
        let ok: boolean;
        try {
          ok = await this.store.checkpoint({ ...cp, run: { ...patch, ...cp.run }, runId: this.run.id, fence: this.fence });
        } catch (error) {
          this.core.logger.error(`[durable] run ${this.run.id}: checkpoint failed, abandoning this execution`, error);
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

  private async settleInflight(): Promise<void> {
    this.frozen = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.writes.catch(() => {});
  }

  private async suspend(): Promise<Outcome> {
    await this.settleInflight();
    if (this.lost) return { kind: "lost" };
    const wakeAt = this.wakeAts.length > 0 ? Math.min(...this.wakeAts) : null;
    const last = this.registrations.pop();
    try {
      for (const { step, wait } of this.registrations) await this.write({ step, wait });
      await this.write({
        step: last?.step,
        wait: last?.wait,
        run: { status: "waiting", wakeAt },
        releaseLease: true,
        dueIfCompleted: this.openWaits,
      });
    } catch (error) {
      if (error === LOST) return { kind: "lost" };
      // the locals of this state cannot be saved: the run cannot wait, it fails
      return this.finish(errorResponse(error, this.core.logger, this.run.id), "failed");
    }
    // a wait registered before the run became "waiting" may have been resolved meanwhile
    for (const stepId of this.openWaits) {
      if (stepId === last?.wait?.stepId) continue;
      const step = await this.store.getStep(this.run.id, stepId);
      if (step?.status === "completed") return { kind: "suspended", wakeAt, due: true };
    }
    return { kind: "suspended", wakeAt, due: false };
  }

  private async finish(response: Response, status: "completed" | "failed"): Promise<Outcome> {
    // read once: the bytes are both stored and sent (no clone, no parse of what was just written)
    let result: string;
    let copy: Response;
    try {
      const bytes = response.body === null ? null : new Uint8Array(await response.arrayBuffer());
      result = serializeMessage(response, bytes);
      this.checkSize(result, "the final Response");
      copy = new Response(bytes as Uint8Array<ArrayBuffer> | null, response);
    } catch (error) {
      return this.finish(errorResponse(error, this.core.logger, this.run.id), "failed");
    }
    await this.write({ run: { status, result, wakeAt: null }, releaseLease: true }, { withState: false });
    return { kind: "done", response: copy };
  }
}

function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : `Non-error thrown: ${describe(thrown)}`);
}

/** The error as a step failure output; its cause is dropped if it cannot be saved. */
async function serializeError(error: Error): Promise<string> {
  try {
    return await serialize(error);
  } catch {
    return serialize(Object.assign(new Error(error.message), { name: error.name }));
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value === "string" ? JSON.stringify(value) : String(value);
  return value.constructor?.name ?? "object";
}
