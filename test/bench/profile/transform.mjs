/**
 * Profiling target: @durable-endpoints/transform on fixtures/checkout.ts, repeated after a
 * warm-up (only the repeated part is in the marked window). Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/transform.mjs [n=500]
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile
 * Prints ms per transform and, for comparison, per Babel parse + generate (P4's floor).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "@babel/parser";
import generateModule from "@babel/generator";
import { transform } from "@durable-endpoints/transform";
import { profiled } from "./profiler.mjs";

const generate = generateModule.default ?? generateModule;
const file = fileURLToPath(new URL("../fixtures/checkout.ts", import.meta.url));
const code = readFileSync(file, "utf8");
const n = Number(process.argv[2] ?? 500);
const compile = () => transform(code, { filename: file, sourceMaps: true });
const roundtrip = () => generate(parse(code, { sourceType: "module", plugins: ["typescript"], sourceFilename: file }), { sourceMaps: true, sourceFileName: file }, code);
const perCall = (fn, times) => {
  const started = performance.now();
  for (let i = 0; i < times; i++) fn();
  return (performance.now() - started) / times;
};
perCall(compile, 100);
perCall(roundtrip, 100);
const ms = await profiled(() => perCall(compile, n));
console.log(`${ms.toFixed(3)} ms per transform, ${perCall(roundtrip, n).toFixed(3)} ms per Babel parse + generate`);
