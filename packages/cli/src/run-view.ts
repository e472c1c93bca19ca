/** One run, decoded for people: what `durable run` prints and what the web inspector shows. */
import { deserialize, type RunConcurrency, type RunRecord, type StepRecord } from "@durable-endpoints/runtime";

export interface StepView {
  id: string;
  kind: StepRecord["kind"];
  /** the stored status, or "elapsed" for a sleep whose time has passed (elapsing costs no write) */
  status: StepRecord["status"] | "elapsed";
  /** failed attempts so far */
  attempts: number;
  startedAt: number;
  updatedAt: number;
  durationMs: number;
  /** sleep end, retry time, or wait timeout */
  wakeAt: number | null;
  /** decoded result (completed), error (failed, retrying) or event (a resolved wait; null when it timed out) */
  output: unknown;
}

export interface MessageView {
  method?: string;
  url?: string;
  status?: number;
  statusText?: string;
  headers: [string, string][];
  /** the body as text (up to the caller's limit) */
  body: string;
  bodyBytes: number;
  truncated: boolean;
}

export interface RunView {
  id: string;
  endpoint: string;
  version: string | null;
  status: RunRecord["status"];
  state: number;
  stepsDone: number;
  createdAt: number;
  updatedAt: number;
  wakeAt: number | null;
  idempotencyKey: string | null;
  lease: { owner: string; expiresAt: number | null } | null;
  /** the endpoint's concurrency limit and this run's key ("" when the endpoint has no key function) */
  concurrency: RunConcurrency | null;
  request: MessageView;
  /** the trigger event's data (query parameters merged with a JSON object body) */
  trigger: unknown;
  locals: Record<string, unknown>;
  steps: StepView[];
  /** the final Response once the run finished */
  result: MessageView | null;
}

export async function describeRun(run: RunRecord, steps: StepRecord[], maxBodyBytes = Infinity): Promise<RunView> {
  const request = decode(run.request);
  return {
    id: run.id,
    endpoint: run.endpoint,
    version: run.version,
    status: run.status,
    state: run.state,
    stepsDone: run.stepsDone,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    wakeAt: run.wakeAt,
    idempotencyKey: run.idempotencyKey,
    lease: run.leaseOwner ? { owner: run.leaseOwner, expiresAt: run.leaseExpiresAt } : null,
    concurrency: run.concurrency,
    request: request instanceof Request
      ? await describeMessage(request, maxBodyBytes)
      : { method: "?", url: "?", headers: [], body: "", bodyBytes: 0, truncated: false },
    trigger: decodeJson(run.trigger),
    locals: run.locals ? ((decode(run.locals) as Record<string, unknown> | undefined) ?? {}) : {},
    steps: steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      status: elapsedSleep(s, run) ? "elapsed" : s.status,
      attempts: s.attempts,
      startedAt: s.startedAt,
      updatedAt: s.updatedAt,
      durationMs: s.updatedAt - s.startedAt,
      wakeAt: s.wakeAt,
      output: s.output === null ? undefined : decode(s.output),
    })),
    result: await describeResult(run.result, maxBodyBytes),
  };
}

/** An elapsed sleep costs no write: it stays "waiting" in the store once its time has passed. */
function elapsedSleep(step: StepRecord, run: RunRecord): boolean {
  const sleeping = (step.kind === "sleep" || step.kind === "sleepUntil") && step.status === "waiting";
  return sleeping && step.wakeAt !== null && (step.wakeAt <= run.updatedAt || run.status === "completed" || run.status === "failed");
}

function decode(text: string): unknown {
  try {
    return deserialize(text);
  } catch {
    return text; // not ours (e.g. written by another version): show it as stored
  }
}

function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function describeResult(stored: string | null, maxBodyBytes: number): Promise<MessageView | null> {
  if (stored === null) return null;
  const value = decode(stored);
  return value instanceof Response ? describeMessage(value, maxBodyBytes) : null;
}

async function describeMessage(message: Request | Response, maxBodyBytes: number): Promise<MessageView> {
  const bytes = new Uint8Array(await message.arrayBuffer());
  const truncated = bytes.length > maxBodyBytes;
  const head = message instanceof Request ? { method: message.method, url: message.url } : { status: message.status, statusText: message.statusText };
  return {
    ...head,
    headers: [...message.headers],
    body: new TextDecoder().decode(truncated ? bytes.subarray(0, maxBodyBytes) : bytes),
    bodyBytes: bytes.length,
    truncated,
  };
}
