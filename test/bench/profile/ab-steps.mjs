/**
 * Side by side: the P2 workload (profile/steps.mjs) on builds of the runtime
 * alternated round by round, so a shared, noisy machine weighs on each alike.
 * Each variant is a copy of `packages/runtime/dist` (e.g. one built from main,
 * one from a branch); `packages/runtime/dist` is pointed at each in turn (a
 * symlink) and restored as it was at the end. Prints per variant and store the
 * median over rounds of steps.mjs's median CPU µs per step, and the load average.
 *   node test/bench/profile/ab-steps.mjs ROUNDS NAME=DIR NAME=DIR … [-- memory sqlite]
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { median } from "../lib/stats.mjs";

const args = process.argv.slice(2);
const rounds = Number(args.shift());
const split = args.indexOf("--");
const variants = (split < 0 ? args : args.slice(0, split)).map((v) => v.split("="));
const stores = split < 0 ? ["memory", "sqlite"] : args.slice(split + 1);
const dist = fileURLToPath(new URL("../../../packages/runtime/dist", import.meta.url));
const steps = fileURLToPath(new URL("./steps.mjs", import.meta.url));
const aside = `${dist}.ab-aside`;
const hadDist = existsSync(dist) && !lstatSync(dist).isSymbolicLink();
if (hadDist) renameSync(dist, aside);

const results = new Map();
const loads = [loadavg()[0]];
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, dir] of variants) {
      rmSync(dist, { force: true });
      symlinkSync(dir, dist, "dir");
      for (const store of stores) {
        const out = execFileSync(process.execPath, [steps, store, "30"], { encoding: "utf8" });
        const us = Number(/([\d.]+) µs/.exec(out)[1]);
        const key = `${name} ${store}`;
        results.set(key, [...(results.get(key) ?? []), us]);
      }
    }
    loads.push(loadavg()[0]);
  }
} finally {
  rmSync(dist, { force: true });
  if (hadDist) renameSync(aside, dist);
}
for (const [key, values] of results) console.log(`${key}: median ${median(values).toFixed(1)} µs/step (rounds: ${values.join(", ")})`);
console.log(`load average (1 min) per round: ${loads.map((l) => l.toFixed(1)).join(", ")}`);
