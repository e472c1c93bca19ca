/** `durable run <id> [--store URL]`: one run's timeline, current state and captured locals, decoded. */
import { deserialize, type RunRecord, type StepRecord } from "@durable-endpoints/runtime";
import type { Command } from "../command.js";
import { CliError } from "../errors.js";
import { formatDuration, formatTime, formatValue, toJson } from "../format.js";
import { resolveStoreUrl, withStore } from "../store.js";
import { table } from "../table.js";

export const runCommand: Command = async ({ args, io, env }) => {
  const runId = args.positionals[0];
  if (!runId) throw new CliError("missing <run id> (list them with: durable runs)");
  const url = resolveStoreUrl(args.options.get("store"), env);
  const { run, steps } = await withStore(url, async (store) => {
    const found = await store.getRun(runId);
    if (!found) throw new CliError(`run not found: ${runId} (in ${url})`);
    return { run: found, steps: await store.listSteps(runId) };
  });
  const view = await describeRun(run, steps);
  if (args.flags.has("json")) io.out(JSON.stringify(toJson(view), null, 2));
  else io.out(render(view));
  return 0;
};

interface StepView {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  startedAt: number;
  durationMs: number;
  wakeAt: number | null;
  output: unknown;
}

interface RunView {
  id: string;
  endpoint: string;
  version: string | null;
  status: string;
  state: number;
  stepsDone: number;
  createdAt: number;
  updatedAt: number;
  wakeAt: number | null;
  lease: { owner: string; expiresAt: number | null } | null;
  request: { method: string; url: string };
  locals: Record<string, unknown>;
  steps: StepView[];
  result: { status: number; body: string } | null;
}

async function describeRun(run: RunRecord, steps: StepRecord[]): Promise<RunView> {
  const request = decode<Request | { method?: string; url?: string }>(run.request);
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
    lease: run.leaseOwner ? { owner: run.leaseOwner, expiresAt: run.leaseExpiresAt } : null,
    request: { method: request?.method ?? "?", url: request?.url ?? "?" },
    locals: run.locals ? (decode<Record<string, unknown>>(run.locals) ?? {}) : {},
    steps: steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      status: elapsedSleep(s, run) ? "elapsed" : s.status,
      attempts: s.attempts,
      startedAt: s.startedAt,
      durationMs: s.updatedAt - s.startedAt,
      wakeAt: s.wakeAt,
      output: s.output === null ? undefined : decode(s.output),
    })),
    result: run.result ? await describeResponse(decode(run.result)) : null,
  };
}

/** An elapsed sleep costs no write: it stays "waiting" in the store once its time has passed. */
function elapsedSleep(step: StepRecord, run: RunRecord): boolean {
  const sleeping = (step.kind === "sleep" || step.kind === "sleepUntil") && step.status === "waiting";
  return sleeping && step.wakeAt !== null && (step.wakeAt <= run.updatedAt || run.status === "completed" || run.status === "failed");
}

function decode<T = unknown>(text: string): T | undefined {
  try {
    return deserialize<T>(text);
  } catch {
    return text as T; // not ours (e.g. written by another version): show it as stored
  }
}

async function describeResponse(value: unknown): Promise<{ status: number; body: string } | null> {
  if (!(value instanceof Response)) return null;
  return { status: value.status, body: await value.text() };
}

function render(run: RunView): string {
  const out: string[] = [];
  out.push(`run       ${run.id}`);
  out.push(`endpoint  ${run.endpoint}${run.version ? `  (version ${run.version})` : "  (uncompiled: replay mode)"}`);
  out.push(`request   ${run.request.method} ${run.request.url}`);
  out.push(`status    ${run.status}${run.wakeAt && run.status === "waiting" ? `  until ${formatTime(run.wakeAt)}` : ""}`);
  out.push(`state     ${run.state}  ·  ${run.stepsDone} checkpoint${run.stepsDone === 1 ? "" : "s"}  ·  started ${formatTime(run.createdAt)}  ·  updated ${formatTime(run.updatedAt)}`);
  if (run.lease) out.push(`lease     ${run.lease.owner} until ${formatTime(run.lease.expiresAt)}`);

  const locals = Object.entries(run.locals);
  const finished = run.status === "completed" || run.status === "failed";
  out.push("", finished ? `captured locals at the last checkpoint (state ${run.state})` : `captured locals (state ${run.state})`);
  out.push(locals.length ? table(["NAME", "VALUE"], locals.map(([k, v]) => [k, formatValue(v, 100)])) : "  none");

  out.push("", "steps");
  out.push(
    run.steps.length
      ? table(
          ["STEP", "KIND", "STATUS", "ATTEMPTS", "STARTED", "DURATION", "RESULT / ERROR"],
          run.steps.map((s) => [
            s.id,
            s.kind,
            s.status,
            s.attempts + (s.status === "failed" || s.status === "retrying" ? 0 : 1),
            `+${formatDuration(s.startedAt - run.createdAt)}`,
            s.status === "waiting" ? `until ${formatTime(s.wakeAt)}` : formatDuration(s.durationMs),
            s.output === undefined ? "" : formatValue(s.output, 60),
          ]),
          [3],
        )
      : "  none",
  );
  if (run.result) out.push("", `result    ${run.result.status}  ${run.result.body.length > 200 ? `${run.result.body.slice(0, 199)}…` : run.result.body}`);
  return out.join("\n");
}
