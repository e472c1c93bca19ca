/**
 * "No code before the resume point ran again", judged from the journal:
 *  - every execution of a run after its first must start at the resume point
 *    the run's last committed checkpoint saved (state 0 when none did: then
 *    nothing before it had been saved). Replay starts at the top every time,
 *    so it fails this as soon as a run resumed;
 *  - no step outcome is saved twice: a step that completed or failed for good
 *    never runs again, and a failed attempt is recorded once.
 * The same property the conformance suite checks with statement probes, seen
 * here through what the machine's `$` and the store observe.
 */

import { REPLAY_MODE_NOTE } from "./inspect.js";
import type { CheckpointEntry, JournalEntry } from "./journal.js";

export interface NoReplaySummary {
  /** executions of the handler, all runs together */
  executions: number;
  /** executions that resumed a run (after a suspension or a crash) */
  resumes: number;
}

export class NoReplayError extends Error {
  constructor(
    readonly problems: string[],
    readonly summary: NoReplaySummary,
  ) {
    super(`code before the resume point ran again:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "NoReplayError";
  }
}

export function findReplays(entries: readonly JournalEntry[], mode: "compiled" | "replay"): { problems: string[]; summary: NoReplaySummary } {
  const problems: string[] = [];
  const summary: NoReplaySummary = { executions: 0, resumes: 0 };
  /** per run: executions so far and the resume point its checkpoints saved */
  const runs = new Map<string, { executions: number; saved: number }>();
  const settled = new Map<string, CheckpointEntry>();

  for (const entry of entries) {
    const run = runs.get(entry.runId) ?? { executions: 0, saved: 0 };
    runs.set(entry.runId, run);
    if (entry.kind === "checkpoint") {
      if (entry.state !== undefined) run.saved = entry.state;
      const twice = savedTwice(settled, entry);
      if (twice) problems.push(twice);
      continue;
    }
    summary.executions++;
    run.executions++;
    if (run.executions === 1) continue;
    summary.resumes++;
    const which = `run ${entry.runId}, execution ${run.executions} (process ${entry.process})`;
    if (mode === "replay") problems.push(`${which} re-ran the handler from the top — ${REPLAY_MODE_NOTE}`);
    else if (entry.startState !== run.saved) {
      problems.push(
        `${which} started at state ${entry.startState}, but the run's saved resume point was state ${run.saved}` +
          (entry.startState === 0 ? " (it was replayed from the top: a run saved by another version of the handler?)" : ""),
      );
    }
  }
  return { problems, summary };
}

/** A step outcome saved a second time means its body ran again after the first was saved. */
function savedTwice(settled: Map<string, CheckpointEntry>, entry: CheckpointEntry): string | undefined {
  if (entry.stepId === undefined) return undefined;
  const outcome =
    entry.stepStatus === "completed" || entry.stepStatus === "failed"
      ? "final"
      : entry.stepStatus === "retrying"
        ? `attempt ${entry.attempts}`
        : undefined;
  if (outcome === undefined) return undefined;
  const key = `${entry.runId}\u0000${entry.stepId}\u0000${outcome}`;
  const first = settled.get(key);
  if (!first) {
    settled.set(key, entry);
    return undefined;
  }
  const what = outcome === "final" ? `its outcome (${first.stepStatus})` : `its failed ${outcome}`;
  return `run ${entry.runId}: step "${entry.stepId}" ran again after ${what} was saved by process ${first.process} (saved again by process ${entry.process})`;
}
