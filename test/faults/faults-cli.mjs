// `npm run chaos -- --faults [runs] [--seed N] [--concurrency N] [--stores sqlite,postgres] [--kinds k1,k2] [--deadline seconds]`: the fault
// suite's long mode (2,000 runs by default). Prints progress and the report; exits 1 when an invariant
// was broken (the failing runs' ledgers stay on disk: "evidence" in the report).
import { parseArgs } from "node:util";
import { runFaults } from "./faults.mjs";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--faults"),
  options: { seed: { type: "string" }, concurrency: { type: "string" }, stores: { type: "string" }, kinds: { type: "string" }, deadline: { type: "string" } },
  allowPositionals: true,
});
const report = await runFaults({
  runs: Number(positionals[0] ?? 2000),
  seed: Number(values.seed ?? Date.now() % 100_000),
  concurrency: Number(values.concurrency ?? 6),
  stores: values.stores?.split(",") ?? ["sqlite", "postgres"],
  kinds: values.kinds?.split(","),
  // a run unfinished this long after it started is a violation (60 s; longer for a campaign starved of CPU, e.g. under nice)
  deadlineMs: values.deadline ? Number(values.deadline) * 1000 : undefined,
  log: (line) => console.log(`[faults] ${line}`),
});
console.log(JSON.stringify(report, null, 2));
console.log(report.violations.length === 0 ? "[faults] every invariant held in every run" : `[faults] ${report.violations.length} run(s) broke an invariant`);
process.exit(report.violations.length === 0 ? 0 : 1);
