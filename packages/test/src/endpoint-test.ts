/**
 * `testEndpoint(endpoint, options)`: one endpoint hosted in simulated
 * processes over one memory store, on virtual time. Every action (request,
 * advance, send, resume, …) returns once the system is quiet again: no store
 * call in flight, no timer due, no run executing — so what a test observes
 * next does not depend on real timing.
 */

import {
  Inngest,
  isMachine,
  parseDuration,
  type Duration,
  type EndpointHandler,
  type EndpointOptions,
  type EventPayload,
  type InngestOptions,
  type Logger,
  type MachineDefinition,
  type RunRecord,
  type Store,
} from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { endpointSource, withClock } from "@durable-endpoints/runtime/testing";
import { describePending, finalResponse, runView, type Mode, type RunView } from "./inspect.js";
import { instrumentHandler, instrumentMachine } from "./instrument.js";
import { Journal, type CheckpointEntry, type ExecutionEntry } from "./journal.js";
import { findReplays, NoReplayError, type NoReplaySummary } from "./no-replay.js";
import { StoreView, type CrashPoint } from "./store-view.js";
import { VirtualTime, type ProcessClock } from "./virtual-time.js";

export interface TestEndpointOptions {
  /** Start of virtual time (default: the real time when the test endpoint is created). */
  now?: Date | number | string;
  /** Client options over the endpoint's own client's (`retries`, `backoff`, `leaseMs`, limits, …). */
  client?: Partial<Omit<InngestOptions, "store" | "endpointAdapter">>;
  /** Where the runtime's log lines go (default: only `t.logs`). */
  logger?: Logger;
  /** Origin relative request URLs are resolved against (default `http://localhost`). */
  baseUrl?: string;
  /** Real milliseconds an action may wait for the system to go quiet before failing (default 10 000). */
  settleTimeoutMs?: number;
}

export interface CrashOptions {
  /**
   * Start a fresh process at once (as a supervisor would), and let a request
   * the crash cut off be sent again (as a client with the same
   * Idempotency-Key would): the test's actions carry on as if nothing happened.
   * Default false: the test calls `t.resume()`.
   */
  resume?: boolean;
}

/** Thrown by `t.request()` when the simulated process died before answering (a dropped connection). */
export class SimulatedCrash extends Error {
  constructor(readonly reason: string) {
    super(`${reason}: the request got no answer; call t.resume() to start a new process and send it again`);
    this.name = "SimulatedCrash";
  }
}

export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
}

interface SimulatedProcess {
  number: number;
  view: StoreView;
  clock: ProcessClock;
  client: Inngest;
  handle: (req: Request) => Promise<Response>;
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const isFinished = (run: RunRecord) => run.status === "completed" || run.status === "failed";

export class EndpointTest {
  /** "compiled": resumes at the saved state; "replay": a plain handler, re-run from the top on every resume. */
  readonly mode: Mode;
  /** The runtime's log lines, in order. */
  readonly logs: LogLine[] = [];
  private readonly time: VirtualTime;
  private readonly journal = new Journal();
  private readonly shared: Store = memoryStore();
  private readonly machine: MachineDefinition | null;
  private readonly handler: EndpointHandler | null;
  private readonly clientOptions: InngestOptions;
  private readonly baseUrl: string;
  private readonly settleTimeoutMs: number;
  private readonly processes: SimulatedProcess[] = [];
  private current: SimulatedProcess;
  /** requests a crash left unanswered: resume() sends them again */
  private cutOff: Request[] = [];
  private autoResume = false;
  /** the endpoint's own options (concurrency), re-applied in every simulated process */
  private readonly endpointOptions: EndpointOptions | undefined;
  private requests = 0;
  private lastRun: string | null = null;
  /** poll URLs the client was given, by run id */
  private readonly locations = new Map<string, string>();

  constructor(endpoint: unknown, options: TestEndpointOptions = {}) {
    const source = endpointSource(endpoint);
    const handler = source ? source.handler : endpoint;
    this.endpointOptions = source?.endpointOptions;
    if (isMachine(handler)) [this.machine, this.handler] = [handler, null];
    else if (typeof handler === "function") [this.machine, this.handler] = [null, handler as EndpointHandler];
    else throw new TypeError("testEndpoint() expects an endpoint made by inngest.endpoint(), a compiled machine or an async (req) => Response handler");
    this.mode = this.machine ? "compiled" : "replay";
    const start = options.now === undefined ? Date.now() : new Date(options.now).getTime();
    if (!Number.isFinite(start)) throw new TypeError(`testEndpoint(): invalid "now" ${JSON.stringify(options.now)}`);
    this.time = new VirtualTime(start);
    this.clientOptions = {
      ...source?.options,
      id: source?.options.id ?? "test",
      ...options.client,
      endpointAdapter: source?.options.endpointAdapter ?? endpointAdapter,
      logger: this.capture(options.logger),
      // a poll answers at once (202 while the run waits): a long-poll would wait for virtual time that never passes
      pollMs: 0,
    };
    this.baseUrl = options.baseUrl ?? "http://localhost";
    this.settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
    this.current = this.startProcess();
  }

  /** Virtual now. */
  now(): Date {
    return new Date(this.time.now);
  }

  /** True from a crash until `t.resume()`. */
  get crashed(): boolean {
    return !this.current.view.alive;
  }

  /** Number of the current simulated process: 1, then 2 after the first resume, … */
  get process(): number {
    return this.current.number;
  }

  /** Every checkpoint committed so far (which process, run, step, status and resume point). */
  get checkpoints(): readonly CheckpointEntry[] {
    return this.journal.checkpoints;
  }

  /** Every execution of the handler so far (the state it started at; compiled: the states it entered). */
  get executions(): readonly ExecutionEntry[] {
    return this.journal.executions;
  }

  /**
   * Sends a request to the current process; relative URLs are resolved
   * against `baseUrl`. Adds an `Idempotency-Key` when it has none, so a new
   * process can take the run over. Returns the endpoint's Response: the
   * handler's own, or `303` to the poll URL when the run suspended.
   */
  async request(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const process = this.live("t.request()");
    const request = this.withKey(input instanceof Request ? input : new Request(new URL(String(input), this.baseUrl), init));
    return this.deliver(process, request);
  }

  /**
   * GETs the poll URL of a `303`/`202` (or of a run id): the final Response
   * once the run finished, else `202` with what it waits for. Also what a
   * returning client does: it resumes a due run in the current process.
   */
  async follow(from: Response | string): Promise<Response> {
    const process = this.live("t.follow()");
    const location = typeof from === "string" ? this.locations.get(from) : from.headers.get("location");
    if (!location) throw new Error(`t.follow(): ${typeof from === "string" ? `no poll URL known for run ${from}` : `the response (${from.status}) has no Location`}`);
    await this.settle();
    return this.deliver(process, new Request(new URL(location, this.baseUrl)));
  }

  /** Delivers events to runs waiting in `step.waitForEvent` (through the current process), then lets them run. */
  async send(events: EventPayload | EventPayload[]): Promise<{ ids: string[] }> {
    const process = this.live("t.send()");
    const sent = await this.untilCrash(process, process.client.send(events));
    if (sent === undefined) {
      if (!this.autoResume) throw new SimulatedCrash(await process.view.died);
      await this.resume();
      return this.send(events); // what a client does when its send failed (events with an id are deduplicated)
    }
    await this.settle();
    await this.afterCrash();
    return sent;
  }

  /**
   * Moves virtual time forward by `duration` ("30s", "1h", "30 days", ms):
   * every sleep, retry and wait timeout due on the way fires at its exact
   * time, in order, each followed by whatever it sets off.
   */
  async advance(duration: Duration): Promise<void> {
    const target = this.time.now + parseDuration(duration, "duration of t.advance()");
    await this.settle();
    for (;;) {
      this.time.moveTo(Math.min(target, await this.nextEvent()));
      this.time.fireDue();
      await this.settle();
      await this.afterCrash();
      if (this.time.now >= target) return;
    }
  }

  /**
   * The current process dies right after the checkpoint that saves step
   * `stepId` (its stable id: "charge", "charge:1" for its second call), that
   * saves resume point `{ state }`, or the `{ checkpoint: n }`-th from now.
   */
  crashAfter(point: CrashPoint, options: CrashOptions = {}): void {
    this.live("t.crashAfter()").view.crashAfter(point);
    this.autoResume = options.resume === true;
  }

  /**
   * After a crash: starts a fresh process (a new client over the same store),
   * waits out the dead process's leases (virtual time moves to their expiry,
   * at most `leaseMs`), sends again the requests the crash cut off (same
   * Idempotency-Key) and lets the new process resume the rest. Returns the
   * Response to the last request sent again, if any.
   */
  async resume(): Promise<Response | undefined> {
    const dead = this.current;
    if (dead.view.alive) {
      const armed = dead.view.armed ? " (t.crashAfter() is armed but no checkpoint matched it yet)" : "";
      throw new Error(`t.resume(): process ${dead.number} has not crashed${armed}`);
    }
    this.current = this.startProcess();
    const expiry = await this.leaseExpiry(dead);
    if (expiry > this.time.now) this.time.moveTo(expiry);
    let response: Response | undefined;
    const cutOff = this.cutOff.splice(0);
    for (const request of cutOff) response = await this.deliver(this.current, request);
    if (this.mode === "replay") await this.pollKnownRuns();
    await this.current.client.start();
    await this.settle();
    await this.afterCrash();
    return response;
  }

  /** A run's final Response (default: the run of the last request); throws while it has none, saying what it waits for. */
  async result(run?: string | Response): Promise<Response> {
    await this.settle();
    const record = await this.record(run, "t.result()");
    const response = finalResponse(record);
    if (response) return response;
    const steps = await this.shared.listSteps(record.id);
    throw new Error(`t.result(): ${describePending(record, steps, this.time.now)}`);
  }

  /** A run as the store holds it, decoded (default: the run of the last request). */
  async run(run?: string | Response): Promise<RunView> {
    await this.settle();
    return runView(this.shared, await this.record(run, "t.run()"), this.mode, this.time.now);
  }

  /**
   * Asserts that no code before a resume point ran again: every resumed
   * execution started at the state its run last saved, and no step's outcome
   * was saved twice. Throws a NoReplayError naming each violation (replay
   * mode: every resume is one). Returns how many executions resumed a run,
   * so a test can also assert that it resumed at all.
   */
  checkNoReplay(): NoReplaySummary {
    const { problems, summary } = findReplays(this.journal.entries, this.mode);
    if (problems.length > 0) throw new NoReplayError(problems, summary);
    return summary;
  }

  /** Closes the live process's client and the store. Optional: virtual timers keep nothing alive. */
  async close(): Promise<void> {
    for (const process of this.processes) if (process.view.alive) await process.client.close();
    await this.shared.close();
  }

  private startProcess(): SimulatedProcess {
    const number = this.processes.length + 1;
    const view = new StoreView(this.shared, this.journal, number);
    const clock = this.time.clock();
    const client = new Inngest(withClock({ ...this.clientOptions, store: view.store }, clock));
    const handle = client.endpoint(
      this.machine ? instrumentMachine(this.machine, this.journal, number) : instrumentHandler(this.handler!, this.journal, number),
      this.endpointOptions,
    );
    // a dead process's timers never fire again; its pending work never settles (the view swallows it)
    void view.died.then(() => clock.stop());
    const process = { number, view, clock, client, handle };
    this.processes.push(process);
    return process;
  }

  private live(action: string): SimulatedProcess {
    if (this.current.view.alive) return this.current;
    throw new Error(`${action}: process ${this.current.number} crashed; call t.resume() to start a new one`);
  }

  /** Sends one request; on a crash, remembers it for `resume()` (and resends it at once with `{ resume: true }`). */
  private async deliver(process: SimulatedProcess, request: Request): Promise<Response> {
    const copy = request.clone();
    const key = request.headers.get("idempotency-key");
    this.journal.requesting(key);
    const response = await this.untilCrash(process, process.handle(request)).finally(() => this.journal.requesting(null));
    this.lastRun = response?.headers.get("x-durable-run-id") ?? this.journal.runOfKey(key) ?? this.lastRun;
    if (response === undefined) {
      this.cutOff.push(copy);
      if (this.autoResume) return (await this.resume())!;
      throw new SimulatedCrash(await process.view.died);
    }
    const location = response.headers.get("location");
    if ((response.status === 303 || response.status === 202) && location && this.lastRun) {
      this.locations.set(this.lastRun, new URL(location, request.url).href);
    }
    await this.settle();
    await this.afterCrash();
    return response;
  }

  /** `work`, or undefined once the process died (whatever it was doing will never finish). */
  private async untilCrash<T>(process: SimulatedProcess, work: Promise<T>): Promise<T | undefined> {
    work.catch(() => {});
    const outcome = await Promise.race([work.then((value) => ({ value })), process.view.died.then(() => undefined)]);
    return outcome === undefined ? undefined : outcome.value;
  }

  /** With `{ resume: true }`, a crash during an action is followed by a resume right away. */
  private async afterCrash(): Promise<void> {
    if (this.autoResume && !this.current.view.alive) await this.resume();
  }

  private withKey(request: Request): Request {
    this.requests++;
    if (request.headers.get("idempotency-key")?.trim()) return request;
    const headers = new Headers(request.headers);
    headers.set("idempotency-key", `test-request-${this.requests}`);
    return new Request(request, { headers });
  }

  /**
   * Waits until nothing is going on: no store call in flight, no timer due
   * now, no run leased by the live process (an execution). Checked over a
   * few turns of the real event loop; step bodies doing real I/O are waited for.
   */
  private async settle(): Promise<void> {
    const deadline = Date.now() + this.settleTimeoutMs;
    for (let turn = 0, quiet = 0; quiet < 3; turn++) {
      await (turn < 200 ? immediate() : pause(1));
      this.time.fireDue();
      const busy = await this.busy();
      quiet = busy === null ? quiet + 1 : 0;
      if (busy !== null && Date.now() > deadline) {
        throw new Error(`the endpoint did not settle within ${this.settleTimeoutMs} ms of real time: ${busy}`);
      }
    }
  }

  /** What keeps the system busy, or null. */
  private async busy(): Promise<string | null> {
    const { view } = this.current;
    if (!view.alive) return null;
    if (view.busy) return "a store call is in flight";
    if (this.time.hasDue()) return "a timer is due";
    for (const run of await this.shared.listRuns()) {
      if (!isFinished(run) && run.leaseOwner !== null && view.owners.has(run.leaseOwner)) return `run ${run.id} is executing`;
    }
    return null;
  }

  /**
   * The next time something is due: a waiting run's wake-up, a lease
   * expiring; while a run is taken over (running, lease lapsing) also the
   * runtime's own timers. Jumping straight there skips the scheduler's idle
   * re-checks, which find nothing to do.
   */
  private async nextEvent(): Promise<number> {
    const now = this.time.now;
    let next = Infinity;
    let takeover = false;
    for (const run of await this.shared.listRuns()) {
      if (isFinished(run)) continue;
      if (run.status === "waiting" && run.wakeAt !== null && run.wakeAt > now) next = Math.min(next, run.wakeAt);
      if (run.leaseExpiresAt !== null && run.leaseExpiresAt > now) next = Math.min(next, run.leaseExpiresAt);
      if (run.status === "running") takeover = true;
    }
    return takeover ? Math.min(next, this.time.nextTimer() ?? Infinity) : next;
  }

  /** When the last lease of a dead process's runs expires. */
  private async leaseExpiry(dead: SimulatedProcess): Promise<number> {
    let expiry = 0;
    for (const run of await this.shared.listRuns()) {
      if (!isFinished(run) && run.leaseOwner !== null && dead.view.owners.has(run.leaseOwner)) expiry = Math.max(expiry, run.leaseExpiresAt ?? 0);
    }
    return expiry;
  }

  /** Replay mode: a new process serves a plain handler once a request reaches it — the clients poll their runs. */
  private async pollKnownRuns(): Promise<void> {
    for (const [runId, location] of this.locations) {
      const run = await this.shared.getRun(runId);
      if (run && !isFinished(run)) await this.deliver(this.current, new Request(location));
    }
  }

  private async record(run: string | Response | undefined, action: string): Promise<RunRecord> {
    const id = run instanceof Response ? run.headers.get("x-durable-run-id") : (run ?? this.lastRun);
    if (!id) throw new Error(`${action}: no run yet (send a request first)`);
    const record = await this.shared.getRun(id);
    if (!record) throw new Error(`${action}: no run ${id}`);
    return record;
  }

  private capture(forward: Logger | undefined): Logger {
    const line = (level: LogLine["level"]) => (...args: unknown[]) => {
      this.logs.push({ level, message: args.map((a) => (a instanceof Error ? a.stack ?? a.message : String(a))).join(" ") });
      forward?.[level](...args);
    };
    return { info: line("info"), warn: line("warn"), error: line("error") };
  }
}

/** Hosts `endpoint` (an `inngest.endpoint(...)`, a compiled machine or a plain handler) for a test. */
export function testEndpoint(endpoint: unknown, options?: TestEndpointOptions): EndpointTest {
  return new EndpointTest(endpoint, options);
}
