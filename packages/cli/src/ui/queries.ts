/** Store → what the API answers: run pages with filters, one run in detail. */
import { isWakeable, type ListRunsOptions, type RunRecord, type RunStatus, type Store, type WaitRecord } from "@durable-endpoints/runtime";
import { describeRun, type RunView } from "../run-view.js";
import type { RunDetail, RunPage, RunSummary, WaitDetail } from "./api.js";
import type { SourceMapper } from "./source-map.js";
import { viewValue } from "./values.js";

export const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
/** Bodies (request, response) shown up to this size. */
const MAX_BODY_BYTES = 256 * 1024;
const STATUSES: readonly RunStatus[] = ["running", "waiting", "completed", "failed", "cancelled"];

/** A client's mistake, answered with this status and `{ error: message }`. */
export class ApiProblem extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new ApiProblem(400, message);

/** `?endpoint=…&status=…&from=…&to=…&key=…&after=…&limit=…` → store options (times: ISO strings or ms). */
export function parseRunQuery(params: URLSearchParams): ListRunsOptions & { limit: number } {
  const options: ListRunsOptions & { limit: number } = { limit: PAGE_SIZE };
  const text = (name: string) => {
    const value = params.get(name);
    return value === null || value === "" ? undefined : value;
  };
  const endpoint = text("endpoint");
  if (endpoint !== undefined) options.endpoint = endpoint;
  const status = text("status");
  if (status !== undefined) {
    if (!STATUSES.includes(status as RunStatus)) throw badRequest(`status must be one of ${STATUSES.join(", ")} (got "${status}")`);
    options.status = status as RunStatus;
  }
  const key = text("key");
  if (key !== undefined) options.idempotencyKey = key;
  const from = text("from");
  if (from !== undefined) options.createdFrom = time(from, "from");
  const to = text("to");
  if (to !== undefined) options.createdTo = time(to, "to");
  const after = text("after");
  if (after !== undefined) options.after = after;
  const limit = text("limit");
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE_SIZE} (got "${limit}")`);
    options.limit = n;
  }
  return options;
}

function time(value: string, name: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw badRequest(`${name} must be a time (ISO 8601 or milliseconds since the epoch; got "${value}")`);
  return ms;
}

export async function runPage(store: Store, options: ListRunsOptions): Promise<RunPage> {
  return { runs: (await store.listRuns(options)).map(summarize) };
}

export async function runDetail(store: Store, sources: SourceMapper, runId: string): Promise<RunDetail | null> {
  const run = await store.getRun(runId);
  if (!run) return null;
  const [steps, waits] = await Promise.all([store.listSteps(runId), store.listWaits(runId)]);
  const view = await describeRun(run, steps, MAX_BODY_BYTES);
  const now = Date.now();
  return {
    ...summarize(run),
    version: view.version,
    lease: view.lease,
    concurrency: view.concurrency,
    request: view.request,
    trigger: viewValue(view.trigger),
    locals: Object.entries(view.locals).map(([name, value]) => [name, viewValue(value)]),
    steps: view.steps.map(stepDetail),
    waits: waits.map((w) => waitDetail(w, view.trigger)),
    canWake: run.status === "waiting" && steps.some((s) => isWakeable(s, now)),
    canCancel: run.status === "running" || run.status === "waiting",
    canRetry: run.status === "failed",
    due: run.status === "waiting" && run.wakeAt !== null && run.wakeAt <= now && !((run.leaseExpiresAt ?? 0) > now),
    response: view.result,
    source: sources.describe(run.endpoint, run.version),
  };
}

function summarize(run: RunRecord): RunSummary {
  return {
    id: run.id,
    endpoint: run.endpoint,
    status: run.status,
    state: run.state,
    stepsDone: run.stepsDone,
    // stored scoped per caller as "<scope>:<key>": people know the key they sent
    idempotencyKey: run.idempotencyKey === null ? null : run.idempotencyKey.slice(run.idempotencyKey.indexOf(":") + 1),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    wakeAt: run.wakeAt,
  };
}

function stepDetail(step: RunView["steps"][number]): RunDetail["steps"][number] {
  const { output, ...rest } = step;
  if (output === undefined) return rest;
  const failed = step.kind === "run" && (step.status === "failed" || step.status === "retrying");
  return failed ? { ...rest, error: viewValue(output) } : { ...rest, result: viewValue(output) };
}

function waitDetail(wait: WaitRecord, trigger: unknown): WaitDetail {
  const detail: WaitDetail = { stepId: wait.stepId, event: wait.event, match: wait.match, expr: wait.expr, timeoutAt: wait.timeoutAt, exampleData: {} };
  // `match` is a path into the trigger event { name, data }: the value the incoming event must repeat
  const path = wait.match?.split(".") ?? [];
  if (path[0] !== "data" || path.length < 2) return detail;
  const value = path.slice(1).reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), trigger);
  if (value === undefined) return detail;
  let data: Record<string, unknown> = detail.exampleData;
  for (const key of path.slice(1, -1)) data = (data[key] = {}) as Record<string, unknown>;
  data[path.at(-1)!] = value;
  return { ...detail, matchValue: viewValue(value) };
}
