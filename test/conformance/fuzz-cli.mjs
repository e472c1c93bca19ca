#!/usr/bin/env node
// npm run fuzz -- --count N --seed S [--crash-points K|all] [--chunk C] [--no-save]
// Runs the fuzz batch (test/conformance/fuzz/fuzz.test.ts) in vitest, C programs per vitest
// process (every program evaluates fresh module instances, which a process never frees).
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "200" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    "crash-points": { type: "string", default: "8" },
    chunk: { type: "string", default: "50" },
    "no-save": { type: "boolean", default: false },
  },
});
for (const name of ["count", "seed", "chunk"]) {
  if (!/^\d+$/.test(values[name]) || (name === "chunk" && Number(values.chunk) === 0)) {
    console.error(`--${name} must be a ${name === "chunk" ? "positive" : "non-negative"} integer (got "${values[name]}")`);
    process.exit(2);
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const count = Number(values.count);
const chunk = Number(values.chunk);
const seed = Number(values.seed);
console.log(`fuzz: ${count} programs from seed ${seed}, ${values["crash-points"]} crash points each`);

const failed = [];
for (let first = seed; first < seed + count; first += chunk) {
  const n = Math.min(chunk, seed + count - first);
  const run = spawnSync("npx", ["vitest", "run", "--project", "conformance", "test/conformance/fuzz/fuzz.test.ts"], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      FUZZ_COUNT: String(n),
      FUZZ_SEED: String(first),
      FUZZ_CRASH_POINTS: values["crash-points"],
      FUZZ_SAVE: values["no-save"] ? "0" : "1",
    },
  });
  if (run.status !== 0) failed.push(`${first}…${first + n - 1}`);
}
console.log(failed.length ? `fuzz: failures in seeds ${failed.join(", ")}` : `fuzz: all ${count} programs passed`);
process.exit(failed.length ? 1 : 0);
