// The probe module inside a crash child process: one JSON line per probe in
// the file named by CONFORMANCE_LOG, tagged with CONFORMANCE_INCARNATION.
import { appendFileSync, readFileSync } from "node:fs";

const log = process.env.CONFORMANCE_LOG;
const incarnation = Number(process.env.CONFORMANCE_INCARNATION);

export function probe(label) {
  appendFileSync(log, JSON.stringify({ kind: "probe", label, incarnation }) + "\n");
}

// Same semantics as ../probe.ts: fail while fewer than `failures` failed attempts were committed.
export function failsFirst(id, failures) {
  const lines = readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const failed = lines.filter(
    (e) => e.kind === "checkpoint" && e.stepId?.replace(/:\d+$/, "") === id && (e.stepStatus === "retrying" || e.stepStatus === "failed"),
  );
  return failed.length < failures;
}
