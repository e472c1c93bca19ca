/**
 * One execution of a run, from its resume point until it finishes or suspends.
 *
 * Compiled mode runs a MachineDefinition from the saved `(state, locals,
 * counters)`: only the step rows the pending await asks for are read, and
 * every checkpoint is one store write. Replay mode (plain handlers, or a run
 * saved by another machine version) runs from the top and serves steps from
 * the recorded ones by stable step ID. The engine decides the mode.
 *
 * Suspension: the suspending step's promise never settles; the execution
 * freezes (no step promise settles any more), lets in-flight siblings commit,
 * then writes the suspension.
 *
 * Cancellation (`cancel()`, or noticed when the store refuses a write or a
 * lease renewal): the handler's `req.signal` aborts, nothing reaches the
 * handler any more, step bodies in flight finish and their outcomes are
 * written; the execution answers with the cancelled run's Response.
 *
 * The parts: `execution/resume-point.ts` (where the machine stands, what a
 * checkpoint saves), `execution/checkpoints.ts` (ordered, fenced writes and
 * limits), `execution/steps.ts` (the step tools).
 */

import { createAmbient } from "./ambient.js";
import { describeValue, HttpError } from "./errors.js";
import { Checkpoints, LOST } from "./execution/checkpoints.js";
import { ResumePoint, type Mode } from "./execution/resume-point.js";
import { nextTurn, Steps } from "./execution/steps.js";
import { readAvailable, StreamProducer, type AvailableBody } from "./execution/stream.js";
import { requestController } from "./request-signal.js";
import { deserialize } from "./serialize.js";
import { serializeResponseParts, wholeResponse } from "./execution/final-response.js";
import type { EndpointDef, Services } from "./services.js";
import type { RunRecord, StepRecord, Store } from "./store.js";
import type { DurableEvent, StepTools } from "./types.js";
import { triggerEvent } from "./events.js";

export type Outcome =
  | { kind: "done"; response: Response }
  /** the Response's body streams: its stream's head and generation; the run completes when `producing` settles */
  | { kind: "streaming"; head: string; generation: number; producing: Promise<void> }
  /** `due`: an event resolved one of its waits while it was suspending: run it again now */
  | { kind: "suspended"; wakeAt: number | null; due: boolean }
  /** the run is no longer ours (fenced out, store failure, client closed) */
  | { kind: "lost" };

/** How an execution starts: its mode, whether the run is new, and (replay) the run's recorded steps. */
export interface Start {
  mode: Mode;
  fresh: boolean;
  recorded: readonly StepRecord[];
}

/** Carries the current execution into the ambient `step`. */
export const ambient = createAmbient<Execution>();

/** Yields to the event loop: setImmediate, not setTimeout(0), which waits a whole millisecond per suspension. */
const afterTurn = () => new Promise<void>((resolve) => nextTurn(resolve));

export class Execution {
  private readonly point: ResumePoint;
  private readonly checkpoints: Checkpoints;
  private readonly steps: Steps;
  /** aborts the handler's `req.signal` when the run is cancelled */
  private readonly cancellation: AbortController;
  /** what the handler gets: the request, with a signal that also aborts on cancellation */
  private readonly req: Request;
  private producer: StreamProducer | null = null;

  constructor(
    private readonly services: Services,
    private readonly def: EndpointDef,
    private readonly run: RunRecord,
    /** null: a resume, rebuilt from the persisted snapshot */
    req: Request | null,
    private readonly store: Store,
    start: Start,
  ) {
    // a request whose signal the runtime aborts (toNodeHandler's) is handed over as it is: the cancellation aborts it too
    const own = req === null ? undefined : requestController(req);
    this.cancellation = own ?? new AbortController();
    const { signal } = this.cancellation;
    if (req === null) this.req = deserialize<Request>(run.request, signal);
    else this.req = own ? req : new Request(req, { signal: AbortSignal.any([req.signal, signal]) });
    this.point = new ResumePoint(def, run, start.mode, start.fresh, store.localsEdits === true);
    const cancelled = () => {
      this.cancellation.abort(new DOMException(`Run ${run.id} was cancelled`, "AbortError"));
      this.steps.stop();
      this.producer?.stop();
    };
    const lost = () => {
      this.steps.stop();
      this.producer?.stop();
    };
    this.checkpoints = new Checkpoints(services, store, run, this.point, start.mode, lost, cancelled);
    let trigger: DurableEvent | undefined;
    const triggerOf = () => (trigger ??= triggerEvent(run.id, run.trigger, run.createdAt));
    this.steps = new Steps(services, def, run.id, store, this.point, this.checkpoints, start.recorded, triggerOf);
  }

  get runId(): string {
    return this.run.id;
  }

  /** The step tools the ambient `step` hands out while this execution runs. */
  get tools(): StepTools {
    return this.steps.tools;
  }

  /** The run sent these events at `now` (from a step, or its own code): a wait it begins later never takes them. */
  sent(events: readonly DurableEvent[], now: number): void {
    for (const event of events) this.point.saw(event, now);
  }

  /** Our fencing token; moves when this process re-claims its own run (see Engine.adopt). */
  get fence(): number {
    return this.checkpoints.fence;
  }

  /** Our lease was renewed (same fence), valid until `until`. */
  holdLease(fence: number, until: number): void {
    this.checkpoints.holdLease(fence, until);
  }

  /** Our own scheduler claimed the run under the next fence: true when this execution carries on under it. */
  reclaimed(fence: number, until: number): boolean {
    return this.checkpoints.reclaimed(fence, until);
  }

  /** Stop writing: the run belongs to someone else now (or the client is closing). */
  lose(): void {
    this.checkpoints.lose();
  }

  /** The run was cancelled: stop the handler; the steps in flight still record their outcomes. */
  cancel(): void {
    this.checkpoints.cancel();
  }

  /** The store refused to renew our lease: the run was cancelled, or it is someone else's now. */
  leaseRefused(): Promise<void> {
    return this.checkpoints.refused();
  }

  /** Runs until the handler returns, throws, or suspends, or the run is cancelled. Never rejects. */
  async execute(): Promise<Outcome> {
    const outcome = await this.executeHandler();
    return this.checkpoints.cancelled ? this.cancelled() : outcome;
  }

  private async executeHandler(): Promise<Outcome> {
    // a claim answered late, or a lease that lapsed before we got here: no handler code runs on it
    try {
      await this.checkpoints.ensureLease();
    } catch {
      return { kind: "lost" };
    }
    const handler: { settled?: { value: unknown } | { error: unknown } } = {};
    const { machine } = this.def;
    const body = ambient
      .run(this, async () => (machine ? machine.resume(this.point.context(this.steps.tools), this.req) : this.def.handler!(this.req)))
      .then(
        (value) => void (handler.settled = { value }),
        (error: unknown) => void (handler.settled = { error }),
      );
    await Promise.race([body, this.steps.suspendRequested]);
    try {
      if (!handler.settled && !this.checkpoints.lost) await this.quiesce(() => handler.settled !== undefined);
      if (this.checkpoints.failure) return await this.failOnStore();
      if (this.checkpoints.lost || this.checkpoints.cancelled) return { kind: "lost" };
      const settled = handler.settled;
      if (!settled) return await this.suspend();
      await this.settle();
      if ("error" in settled) return await this.fail(settled.error);
      if (!(settled.value instanceof Response)) {
        return await this.fail(new TypeError(`Endpoint "${this.def.id}" must return a Response (got ${describeValue(settled.value)})`));
      }
      return await this.finish(settled.value, "completed");
    } catch (error) {
      if (error !== LOST) this.services.logger.error(`[durable] run ${this.run.id}: could not persist its outcome`, error);
      if (this.checkpoints.failure && !this.checkpoints.lost) return this.failOnStore();
      if (!this.checkpoints.cancelled) this.lose();
      return { kind: "lost" };
    }
  }

  /** Once the step bodies in flight have recorded their outcomes: the cancelled run's Response. */
  private async cancelled(): Promise<Outcome> {
    await this.settle();
    const run = await this.store.getRun(this.run.id).catch(() => null);
    if (run?.status !== "cancelled" || run.result === null) return { kind: "lost" };
    return { kind: "done", response: deserialize<Response>(run.result) };
  }

  /** The store refused something it will always refuse: the run fails with that error (if the store takes that much). */
  private async failOnStore(): Promise<Outcome> {
    await this.settle();
    try {
      return await this.fail(this.checkpoints.failure);
    } catch {
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
      await this.steps.inflightSettled();
      await afterTurn(); // the handler reacts to what was delivered
      if (handlerSettled() || this.checkpoints.lost || this.checkpoints.cancelled || !this.steps.busy) return;
    }
  }

  /** Freezes the steps, then waits for running bodies and their checkpoints. */
  private async settle(): Promise<void> {
    await this.steps.settle();
    await this.checkpoints.idle();
  }

  private async suspend(): Promise<Outcome> {
    await this.settle();
    if (this.checkpoints.lost) return { kind: "lost" };
    const { registrations, openWaits } = this.steps;
    const wakeAt = this.steps.wakeAt();
    const last = registrations.pop();
    try {
      for (const { step, wait, matcher } of registrations) await this.checkpoints.write({ step, wait, matcher });
      await this.checkpoints.write({
        step: last?.step,
        wait: last?.wait,
        matcher: last?.matcher,
        run: { status: "waiting", wakeAt },
        releaseLease: true,
        dueIfCompleted: openWaits,
      });
    } catch (error) {
      if (error === LOST) return this.checkpoints.failure ? this.failOnStore() : { kind: "lost" };
      // the locals of this state cannot be saved: the run cannot wait, it fails
      return this.fail(error);
    }
    // a wait registered before the run became "waiting" may have been resolved meanwhile
    for (const stepId of openWaits) {
      if (stepId === last?.wait?.stepId) continue;
      // suspended already: if this read fails, the run simply wakes at its wake-up time
      const step = await this.store.getStep(this.run.id, stepId).catch(() => null);
      if (step?.status === "completed") return { kind: "suspended", wakeAt, due: true };
    }
    return { kind: "suspended", wakeAt, due: false };
  }

  /** The run fails with a 500 (logged here, with the run id). */
  private fail(error: unknown): Promise<Outcome> {
    const failure = HttpError.internal(error, this.run.id);
    this.services.logger.error(`[durable] run ${this.run.id} failed:`, failure.cause);
    return this.finish(failure.getResponse(), "failed");
  }

  private async finish(response: Response, status: "completed" | "failed"): Promise<Outcome> {
    // read once: the bytes are both stored and sent (no clone, no parse of what was just written)
    let result: string;
    let copy: Response;
    try {
      const body = response.body === null ? null : await readAvailable(response as Response & { body: ReadableStream<Uint8Array> });
      if (body?.complete === false) return this.stream(response, body);
      const bytes = body?.bytes ?? null;
      const { status, statusText } = response;
      const headers = [...response.headers];
      result = serializeResponseParts(status, statusText, headers, bytes);
      this.checkpoints.checkSize(result, "the final Response");
      copy = wholeResponse(bytes, { status, statusText, headers });
    } catch (error) {
      return this.fail(error);
    }
    await this.checkpoints.write({ run: { status, result, wakeAt: null }, releaseLease: true }, { withState: false });
    return { kind: "done", response: copy };
  }

  /**
   * A body that streams: persisted as it comes, followed by the client from
   * the first byte. (A store error writing the head rejects: the execution is abandoned.)
   */
  private async stream(response: Response, body: Extract<AvailableBody, { complete: false }>): Promise<Outcome> {
    const producer = (this.producer = new StreamProducer(this.store, this.run.id, this.checkpoints, response, body));
    const generation = await producer.begin();
    if (generation === null || this.checkpoints.lost) {
      this.lose(); // stops the producer too
      return { kind: "lost" };
    }
    return { kind: "streaming", head: producer.head, generation, producing: producer.produce((error) => this.fail(error)) };
  }
}
