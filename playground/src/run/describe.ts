/** Turns a store checkpoint into a human line for the timeline. */
import type { Checkpoint } from "./process-store.js";
import { decodeValue } from "./decode.js";
import type { TimelineEntry } from "./session.js";

type Line = Pick<TimelineEntry, "kind" | "text" | "detail">;

export function describeCheckpoint(cp: Checkpoint, fastForwardedFrom: number | null): Line | null {
  const step = cp.step;
  if (!step) return null;
  const attempt = step.attempts > 0 ? ` (after ${step.attempts} failed attempt${step.attempts > 1 ? "s" : ""})` : "";
  // compiled runs record their resume point; a replayed run has none
  const at = cp.run.state === undefined ? "" : ` · checkpoint @ state ${cp.run.state}`;
  switch (step.status) {
    case "completed":
      if (step.kind === "sleep" || step.kind === "sleepUntil") return { kind: "sleep", text: `sleep "${step.id}" elapsed${at}` };
      if (step.kind === "waitForEvent") return { kind: "event", text: `"${step.id}" received its event${at}`, detail: decodeValue(step.output) };
      return { kind: "step", text: `step "${step.id}" completed${attempt}${at}`, detail: decodeValue(step.output) };
    case "failed":
      return { kind: "failed", text: `step "${step.id}" failed for good${attempt}`, detail: decodeValue(step.output) };
    case "retrying":
      return { kind: "retry", text: `step "${step.id}" attempt ${step.attempts} failed; retry${fastForward(step.wakeAt, fastForwardedFrom)}`, detail: decodeValue(step.output) };
    case "waiting":
      if (cp.wait) return { kind: "wait", text: `"${step.id}" waits for event "${cp.wait.event}"${cp.wait.match ? ` matching ${cp.wait.match}` : ""}` };
      return { kind: "sleep", text: `sleep "${step.id}"${fastForward(step.wakeAt, fastForwardedFrom)}` };
  }
}

function fastForward(wakeAt: number | null, from: number | null): string {
  if (from === null || wakeAt === null) return "";
  const seconds = Math.max(0, Math.round((from - Date.now()) / 100) / 10);
  return ` in ${seconds}s — fast-forwarded`;
}
