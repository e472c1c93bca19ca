#!/usr/bin/env node
// npm run fuzz:http -- [--requests N] [--seed S] [--connections C] [--store URL]
// The long mode of the HTTP fuzz (the vitest project "http-fuzz" runs the quick one). Needs the built
// runtime (the npm script builds first). Prints the report as JSON; exits 1 when an invariant broke.
import { parseArgs } from "node:util";
import { problems, runFuzz } from "./driver.mjs";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "100000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    connections: { type: "string", default: "8" },
    store: { type: "string" },
  },
});
for (const name of ["requests", "seed", "connections"]) {
  if (!/^\d+$/.test(values[name])) {
    console.error(`--${name} must be a non-negative integer (got "${values[name]}")`);
    process.exit(2);
  }
}
console.log(`http fuzz: ${values.requests} requests from seed ${values.seed}, ${values.connections} keep-alive connections`);
const report = await runFuzz({
  requests: Number(values.requests),
  seed: Number(values.seed),
  connections: Number(values.connections),
  storeUrl: values.store,
  progress: (line) => console.log(`  ${line}`),
});
console.log(JSON.stringify(report, null, 2));
const found = problems(report);
console.log(found.length ? `http fuzz: ${found.length} problems (seed ${values.seed})` : `http fuzz: no problems in ${report.requests} requests (seed ${values.seed})`);
process.exit(found.length ? 1 : 0);
