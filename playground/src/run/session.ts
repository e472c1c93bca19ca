/**
 * One column of the Run panel: a run of the handler in one mode ("compiled"
 * state machine, or "replay" of the uncompiled handler), with an optional
 * crash after a step, a resume in a new process, and the timeline of it all.
 */
import { memoryStore } from "@durable-endpoints/runtime/memory";
import type { EventPayload, RunRecord, Store } from "@durable-endpoints/runtime";
import type { Checkpoint } from "./process-store.js";
import { PlaygroundProcess } from "./process.js";
import { describeCheckpoint } from "./describe.js";

export type Mode = "compiled" | "replay";
export type SessionStatus = "idle" | "running" | "waiting" | "crashed" | "done" | "error";

export interface RequestSpec {
  method: string;
  query: string;
  body: string;
}

export interface TimelineEntry {
  /** ms since the run started */
  at: number;
  process: string;
  kind: "request" | "step" | "retry" | "failed" | "sleep" | "wait" | "event" | "crash" | "takeover" | "response" | "stream" | "suspend" | "error";
  text: string;
  detail?: string;
}

export interface WaitingFor {
  event: string;
  match: string | null;
}

const ENDPOINT_URL = "http://playground.local/api/endpoint";

export class RunSession {
  status: SessionStatus = "idle";
  entries: TimelineEntry[] = [];
  waitingFor: WaitingFor | null = null;
  /** handler lines executed, per process, in order */
  readonly traces = new Map<string, number[]>();
  private readonly db: Store = memoryStore();
  private readonly started = Date.now();
  private readonly processes: PlaygroundProcess[] = [];
  private request!: Request;
  private disposed = false;
  private settledWaiters: Array<() => void> = [];

  constructor(
    readonly mode: Mode,
    private readonly code: string,
    /** the module export to call */
    private readonly exportName: string,
    private readonly onChange: () => void,
  ) {}

  async start(spec: RequestSpec, crashAfter: string | undefined): Promise<void> {
    this.request = buildRequest(spec);
    this.log("A", "request", `${spec.method} ${new URL(this.request.url).search || "/"}`, spec.method === "POST" ? spec.body : undefined);
    const proc = this.spawn("A", crashAfter);
    if (proc) void this.drive(proc, this.request.clone());
    await this.whenSettled();
  }

  /** A new process takes the run over: same request, same Idempotency-Key (re-attaches to the run). */
  async resume(): Promise<void> {
    if (this.status !== "crashed") return;
    const name = String.fromCharCode("A".charCodeAt(0) + this.processes.length);
    this.log(name, "request", `process ${name} starts and re-sends the request (same Idempotency-Key)`);
    const proc = this.spawn(name, undefined);
    if (proc) void this.drive(proc, this.request.clone());
    await this.whenSettled();
  }

  async sendEvent(event: EventPayload): Promise<void> {
    const live = this.processes.at(-1);
    if (!live || this.status !== "waiting") return;
    this.log(live.name, "event", `event "${event.name}" sent`, JSON.stringify(event.data ?? {}));
    this.setStatus("running");
    await live.send(event);
    await this.whenSettled();
  }

  /**
   * Handler statements that process B ran again although process A had already run them: the common
   * prefix of both traces. A resumed machine starts after the checkpoint (empty prefix); a replay
   * starts from the top and repeats A's statements until it catches up.
   */
  rerunLines(): number[] {
    const first = this.traces.get("A") ?? [];
    const second = this.traces.get("B") ?? [];
    const rerun: number[] = [];
    while (rerun.length < first.length && rerun.length < second.length && first[rerun.length] === second[rerun.length]) {
      rerun.push(second[rerun.length]!);
    }
    return rerun;
  }

  /** Resolves once nothing of this run is executing (waiting, crashed, done or failed). */
  whenSettled(): Promise<void> {
    if (this.status !== "running") return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  dispose(): void {
    this.disposed = true;
    const last = this.processes.at(-1);
    void last?.close(this.status !== "crashed");
  }

  /** Starts a process (evaluates the module); a module that throws ends the session with its error. */
  private spawn(name: string, crashAfter: string | undefined): PlaygroundProcess | undefined {
    const trace: number[] = [];
    this.traces.set(name, trace);
    try {
      return this.startProcess(name, crashAfter, trace);
    } catch (error) {
      this.log(name, "error", `the module threw while loading: ${(error as Error).message}`);
      this.setStatus("error");
      return undefined;
    }
  }

  private startProcess(name: string, crashAfter: string | undefined, trace: number[]): PlaygroundProcess {
    const proc = new PlaygroundProcess({
      name,
      code: this.code,
      exportName: this.exportName,
      db: this.db,
      crashAfter,
      hit: (line) => trace.push(line),
      logError: (message) => this.log(name, "error", message.replace(/^\[durable\] /, "")),
      hooks: {
        checkpoint: (cp, from) => this.onCheckpoint(name, cp, from),
        takeover: (run) => this.onTakeover(name, run),
        crash: (stepId) => this.onCrash(name, stepId),
      },
    });
    this.processes.push(proc);
    return proc;
  }

  /** Sends the request, follows 303/202 to the poll URL until the final Response, or stops at a crash. */
  private async drive(proc: PlaygroundProcess, req: Request): Promise<void> {
    this.setStatus("running");
    try {
      let url = req.url;
      let res = await proc.request(req);
      while (res !== "crashed" && (res.status === 303 || res.status === 202) && res.headers.has("Location")) {
        if (res.status === 303) this.log(proc.name, "suspend", "303 See Other: the run continues in the background; polling");
        url = new URL(res.headers.get("Location")!, url).href;
        res = await proc.request(new Request(url));
      }
      if (this.disposed) return;
      if (res === "crashed") {
        this.setStatus("crashed");
        return;
      }
      if (res.headers.has("X-Durable-Poll-Url")) return await this.readStream(proc.name, res);
      const body = await res.text();
      this.log(proc.name, "response", `${res.status} ${res.statusText || ""}`.trim(), body);
      this.setStatus("done");
    } catch (error) {
      this.log(proc.name, "error", (error as Error).message);
      this.setStatus("error");
    }
  }

  /** A streamed response: its head, then each chunk the moment it arrives. */
  private async readStream(process: string, res: Response): Promise<void> {
    this.log(process, "response", `${res.status} ${res.statusText || ""} — streaming`.replace(/ +/g, " "), `persisted while it streams; a client that drops rejoins at X-Durable-Poll-Url`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let chunks = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      if (this.disposed) return void (await reader.cancel());
      this.log(process, "stream", `chunk ${++chunks}`, decoder.decode(read.value, { stream: true }));
    }
    this.log(process, "stream", `stream complete: ${chunks} chunks, now the run's stored response`);
    this.setStatus("done");
  }

  private onCheckpoint(process: string, cp: Checkpoint, fastForwardedFrom: number | null): void {
    const entry = describeCheckpoint(cp, fastForwardedFrom);
    if (entry) this.log(process, entry.kind, entry.text, entry.detail);
    if (cp.wait) {
      this.waitingFor = { event: cp.wait.event, match: cp.wait.match };
      this.setStatus("waiting");
    } else if (cp.step?.kind === "waitForEvent" && cp.step.status === "completed") {
      this.waitingFor = null;
      this.setStatus("running");
    }
  }

  private onCrash(process: string, stepId: string): void {
    const ran = this.traces.get(process)?.length ?? 0;
    this.log(process, "crash", `process ${process} killed right after "${stepId}" was checkpointed`, `${ran} handler statements had run`);
  }

  private onTakeover(process: string, run: RunRecord): void {
    const where = this.mode === "compiled" ? ` at state ${run.state}` : "";
    this.log(process, "takeover", `process ${process} took the run over${where} (${run.stepsDone} step${run.stepsDone === 1 ? "" : "s"} already done)`);
  }

  private log(process: string, kind: TimelineEntry["kind"], text: string, detail?: string): void {
    if (this.disposed) return;
    this.entries.push({ at: Date.now() - this.started, process, kind, text, detail });
    this.onChange();
  }

  private setStatus(status: SessionStatus): void {
    if (this.disposed) return;
    this.status = status;
    if (status !== "running") for (const settle of this.settledWaiters.splice(0)) settle();
    this.onChange();
  }
}

function buildRequest(spec: RequestSpec): Request {
  const query = spec.query.trim();
  const url = new URL(query ? (query.startsWith("?") ? query : `?${query}`) : "", ENDPOINT_URL);
  const headers = new Headers({ "Idempotency-Key": crypto.randomUUID() });
  if (spec.method === "GET" || !spec.body.trim()) return new Request(url, { method: spec.method, headers });
  headers.set("Content-Type", "application/json");
  return new Request(url, { method: spec.method, headers, body: spec.body });
}
