/**
 * Profiling target: the P2 workload (1,000 trivial steps per request, compiled),
 * repeated, on the SQLite (default) or memory store. After 5 warm-up requests,
 * the profile window (profiler.mjs) holds `rounds` requests; prints the median
 * CPU time (user + system, this process) per step. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/steps.mjs [sqlite|memory] [rounds=40]
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { call, finalJson, openStore, withClient } from "../contenders/ours.mjs";
import { median } from "../lib/stats.mjs";
import { profiled } from "./profiler.mjs";

const [kind = "sqlite", rounds = "40"] = process.argv.slice(2);
const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmp, { recursive: true });
const compiled = await loadEndpoints("compiled");
const store = openStore(kind, tmp, "profile-steps");
await withClient(compiled, store, async (ep) => {
  const request = async () => finalJson(await call(ep.trivialSteps, "/steps?n=1000"), "profile run");
  for (let i = 0; i < 5; i++) await request();
  const cpuUs = [];
  await profiled(async () => {
    for (let i = 0; i < Number(rounds); i++) {
      const before = process.cpuUsage();
      await request();
      const { user, system } = process.cpuUsage(before);
      cpuUs.push(user + system);
    }
  });
  console.log(`${kind}: ${(median(cpuUs) / 1000).toFixed(1)} µs CPU per step (median of ${rounds} requests of 1,000 steps)`);
});
await store.close();
