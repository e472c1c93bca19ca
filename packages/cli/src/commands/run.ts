/** `durable run <id> [--store URL]`: one run's timeline, current state and captured locals, decoded. */
import type { Command } from "../command.js";
import { CliError } from "../errors.js";
import { formatDuration, formatTime, formatValue, toJson } from "../format.js";
import { describeRun, type RunView } from "../run-view.js";
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

function render(run: RunView): string {
  const out: string[] = [];
  out.push(`run       ${run.id}`);
  out.push(`endpoint  ${run.endpoint}${run.version ? `  (version ${run.version})` : "  (uncompiled: replay mode)"}`);
  out.push(`request   ${run.request.method} ${run.request.url}`);
  out.push(`status    ${run.status}${run.wakeAt && run.status === "waiting" ? `  until ${formatTime(run.wakeAt)}` : ""}`);
  out.push(`state     ${run.state}  ·  ${run.stepsDone} checkpoint${run.stepsDone === 1 ? "" : "s"}  ·  started ${formatTime(run.createdAt)}  ·  updated ${formatTime(run.updatedAt)}`);
  if (run.lease) out.push(`lease     ${run.lease.owner} until ${formatTime(run.lease.expiresAt)}`);
  if (run.concurrency) out.push(`limit     ${run.concurrency.limit} at once for key ${JSON.stringify(run.concurrency.key)}`);

  const locals = Object.entries(run.locals);
  const finished = run.status !== "running" && run.status !== "waiting";
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
