#!/usr/bin/env node
/**
 * Benchmarks: `npm run bench [-- --quick | --full] [--only P1,P3] [--out file]`.
 * Each suite runs its contenders side by side (interleaved, repeated) and
 * reports medians and ratios; see README.md for what each metric means.
 */
import { rmSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeMachine } from "./lib/machine.mjs";
import { printMetrics, writeResults } from "./lib/report.mjs";

const suites = {
  P1: () => import("./suites/p1-resume.mjs"),
  P2: () => import("./suites/p2-step-overhead.mjs"),
  P3: () => import("./suites/p3-http.mjs"),
  P4: () => import("./suites/p4-build.mjs"),
  P5: () => import("./suites/p5-checkpoint-size.mjs"),
  P6: () => import("./suites/p6-long-run.mjs"),
  P7: () => import("./suites/p7-cross-process.mjs"),
  P8: () => import("./suites/p8-postgres.mjs"),
  P9: () => import("./suites/p9-event-fanout.mjs"),
  P10: () => import("./suites/p10-streams.mjs"),
};

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    full: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: fileURLToPath(new URL("results/latest.json", import.meta.url)) },
  },
});
if (values.quick && values.full) throw new Error("--quick and --full are exclusive");
const mode = values.quick ? "quick" : values.full ? "full" : "default";
const selected = values.only ? values.only.split(",").map((s) => s.trim().toUpperCase()) : Object.keys(suites);
for (const name of selected) if (!suites[name]) throw new Error(`unknown suite "${name}" (have ${Object.keys(suites).join(", ")})`);

const tmp = fileURLToPath(new URL(".tmp/", import.meta.url));
rmSync(tmp, { recursive: true, force: true });

const machine = describeMachine();
console.log(`durable-endpoints bench — mode ${mode}, ${machine.nproc} × ${machine.cpu}, Node ${machine.node}, ${machine.date}, load average ${machine.loadavg.join(" ")}`);

const metrics = [];
for (const name of selected) {
  const started = performance.now();
  const suite = await suites[name]();
  const result = await suite.run({ mode, tmp });
  metrics.push(...result);
  console.log(`(${name} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

printMetrics(metrics);
const loadavgEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
console.log(`\nload average at the end: ${loadavgEnd.join(" ")}`);
writeResults(values.out, metrics, { ...machine, loadavgEnd, mode, suites: selected });
console.log(`\nwrote ${values.out}`);
