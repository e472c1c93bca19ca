// The probe module inside a crash child process: one JSON line per probe in
// the file named by CONFORMANCE_LOG, tagged with CONFORMANCE_INCARNATION.
import { appendFileSync, readFileSync } from "node:fs";

const log = process.env.CONFORMANCE_LOG;
const incarnation = Number(process.env.CONFORMANCE_INCARNATION);

export function probe(label) {
  appendFileSync(log, JSON.stringify({ kind: "probe", label, incarnation }) + "\n");
}

export function failsFirst(id, failures) {
  const lines = readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
  return lines.filter((e) => e.kind === "probe" && e.label === `step:${id}`).length <= failures;
}
