// `npm run chaos`: the full chaos run (1,000 runs by default; `node test/chaos/chaos-cli.mjs 300`).
// Prints progress and the report; exits 1 when an invariant was broken.
// `npm run chaos -- --faults`: the fault-injection suite's long mode instead (test/faults/faults-cli.mjs).
if (process.argv.includes("--faults")) await import("../faults/faults-cli.mjs");
const { runChaos } = await import("./chaos.mjs");
const { verdict } = await import("./verdict.mjs");

const runs = Number(process.argv[2] ?? 1000);
const report = await runChaos({ runs, log: (line) => console.log(`[chaos] ${line}`) });
console.log(JSON.stringify(report, null, 2));
const problems = verdict(report);
for (const problem of problems) console.error(`[chaos] FAILED: ${problem}`);
console.log(problems.length === 0 ? "[chaos] all invariants held" : `[chaos] ${problems.length} invariant(s) broken`);
process.exit(problems.length === 0 ? 0 : 1);
