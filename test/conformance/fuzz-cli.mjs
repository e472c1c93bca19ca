#!/usr/bin/env node
// npm run fuzz -- --count N --seed S [--crash-points K|all] [--no-save]
// Runs the fuzz batch (test/conformance/fuzz/fuzz.test.ts) in vitest with these values.
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "200" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    "crash-points": { type: "string", default: "8" },
    "no-save": { type: "boolean", default: false },
  },
});
for (const name of ["count", "seed"]) {
  if (!/^\d+$/.test(values[name])) {
    console.error(`--${name} must be a non-negative integer (got "${values[name]}")`);
    process.exit(2);
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
console.log(`fuzz: ${values.count} programs from seed ${values.seed}, ${values["crash-points"]} crash points each`);
const child = spawn("npx", ["vitest", "run", "--project", "conformance", "test/conformance/fuzz/fuzz.test.ts"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    FUZZ_COUNT: values.count,
    FUZZ_SEED: values.seed,
    FUZZ_CRASH_POINTS: values["crash-points"],
    FUZZ_SAVE: values["no-save"] ? "0" : "1",
  },
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
