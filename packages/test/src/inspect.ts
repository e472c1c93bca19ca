/** A run as a test sees it: the store's records, decoded (results, errors and locals as the values they were). */

import { deserialize, type RunRecord, type RunStatus, type StepRecord, type StepStatus, type Store } from "@durable-endpoints/runtime";

export type Mode = "compiled" | "replay";

export interface StepView {
  /** stable step id ("charge", "charge:1" for its second call in the run) */
  id: string;
  kind: StepRecord["kind"];
  /** as the store says, except that a sleep whose time has passed is "completed" */
  status: StepStatus;
  /** failed attempts so far */
  attempts: number;
  /** what the step returned (step.run), the event that resolved it or null on timeout (waitForEvent) */
  result?: unknown;
  /** the final failure ("failed") or the last failed attempt ("retrying") */
  error?: Error;
  /** sleep end, next retry, or wait timeout */
  wakeAt: Date | null;
  startedAt: Date;
}

export interface RunView {
  id: string;
  endpoint: string;
  /** "replay": the handler re-runs from the top on every resume (see `note`) */
  mode: Mode;
  note?: string;
  status: RunStatus;
  /** the saved resume point (compiled mode) */
  state: number;
  /** the captured locals saved with it */
  locals: Record<string, unknown>;
  /** when the run wakes up (status "waiting") */
  wakeAt: Date | null;
  steps: StepView[];
  /** the final Response (a fresh copy on every call), once the run finished */
  response: Response | null;
}

export const REPLAY_MODE_NOTE =
  "replay mode: the endpoint is not compiled, so every resume re-runs the handler from the top (finished steps return " +
  "their saved results); checkNoReplay() cannot hold. Compile it with @durable-endpoints/unplugin or the Babel plugin.";

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** An elapsed sleep is done, though the store never rewrites it (an elapsed sleep needs no write). */
const elapsed = (step: StepRecord, now: number) =>
  (step.kind === "sleep" || step.kind === "sleepUntil") && step.status === "waiting" && step.wakeAt !== null && step.wakeAt <= now;

export function stepView(step: StepRecord, now: number): StepView {
  const view: StepView = {
    id: step.id,
    kind: step.kind,
    status: elapsed(step, now) ? "completed" : step.status,
    attempts: step.attempts,
    wakeAt: date(step.wakeAt),
    startedAt: new Date(step.startedAt),
  };
  if (step.output !== null && step.status === "completed") view.result = deserialize(step.output);
  if (step.output !== null && (step.status === "failed" || step.status === "retrying")) view.error = deserialize<Error>(step.output);
  return view;
}

export async function runView(store: Store, run: RunRecord, mode: Mode, now: number): Promise<RunView> {
  const view: RunView = {
    id: run.id,
    endpoint: run.endpoint,
    mode,
    status: run.status,
    state: run.state,
    locals: run.locals ? deserialize<Record<string, unknown>>(run.locals) : {},
    wakeAt: date(run.wakeAt),
    steps: (await store.listSteps(run.id)).map((step) => stepView(step, now)),
    response: finalResponse(run),
  };
  if (mode === "replay") view.note = REPLAY_MODE_NOTE;
  return view;
}

/** The run's final Response as the protocol replays it (with X-Durable-Run-Id), or null while it is not finished. */
export function finalResponse(run: RunRecord): Response | null {
  if (run.result === null || (run.status !== "completed" && run.status !== "failed")) return null;
  const response = deserialize<Response>(run.result);
  response.headers.set("X-Durable-Run-Id", run.id);
  return response;
}

/** Why a run has no final Response yet, for error messages. */
export function describePending(run: RunRecord, steps: StepRecord[], now: number): string {
  const open = steps.filter((s) => (s.status === "waiting" || s.status === "retrying") && !elapsed(s, now));
  const what = open.map((s) => {
    const when = s.wakeAt === null ? "" : ` until ${new Date(s.wakeAt).toISOString()} (${s.wakeAt - now} ms from now)`;
    if (s.status === "retrying") return `step "${s.id}" waits for its retry (attempt ${s.attempts + 1})${when}`;
    if (s.kind === "waitForEvent") return `step "${s.id}" waits for an event${when.replace(" until", ", times out at")}`;
    return `step "${s.id}" sleeps${when}`;
  });
  const lease = run.leaseOwner !== null ? `; leased until ${new Date(run.leaseExpiresAt ?? 0).toISOString()}` : "";
  return `run ${run.id} is ${run.status}${what.length ? `: ${what.join("; ")}` : ""}${lease}`;
}
