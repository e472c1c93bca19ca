/**
 * Profiling target: @durable-endpoints/transform on fixtures/checkout.ts, repeated. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/transform.mjs
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { transform } from "@durable-endpoints/transform";

const file = fileURLToPath(new URL("../fixtures/checkout.ts", import.meta.url));
const code = readFileSync(file, "utf8");
const started = performance.now();
for (let i = 0; i < 100; i++) transform(code, { filename: file, sourceMaps: true });
console.log(`${((performance.now() - started) / 100).toFixed(2)} ms per transform`);
