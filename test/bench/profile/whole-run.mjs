/**
 * Profiling target: P1's whole run — one run of n steps that each suspend
 * (a short sleep), started by one request and moved on, step after step, by a
 * fresh client's poll GET (pollMs 0) as the bench does; the sleeps are not
 * timed. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/whole-run.mjs [memory|sqlite] [n]
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile   (the run only, sleeps included)
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { profiled } from "./profiler.mjs";
import { call, openStore, pause, settled, startSuspended, withClient } from "../contenders/ours.mjs";

const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmp, { recursive: true });
const [kind = "memory", count = "300"] = process.argv.slice(2);
const n = Number(count);
const TICK_MS = 30;
const compiled = await loadEndpoints("compiled");
const store = openStore(kind, tmp, "profile-whole");
let timed = 0;
let cpuUs = 0;
let resumes = 0;
const time = async (fn) => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await fn();
  const { user, system } = process.cpuUsage(cpu);
  timed += performance.now() - started;
  cpuUs += user + system;
  return result;
};
await profiled(async () => {
  const { url, runId } = await withClient(compiled, store, (ep) => time(() => startSuspended(ep.suspendEach, `/tick?n=${n}&ms=${TICK_MS}`)));
  for (;;) {
    await pause(TICK_MS + 1);
    const before = await store.getRun(runId);
    resumes++;
    const run = await withClient(
      compiled,
      store,
      (ep) => time(async () => {
        await (await call(ep.suspendEach, url)).arrayBuffer();
        return settled(store, before);
      }),
      { pollMs: 0 },
    );
    if (run.status === "completed") break;
  }
});
console.log(`whole run (${kind}): ${((1000 * timed) / resumes).toFixed(0)} µs wall, ${(cpuUs / resumes).toFixed(0)} µs CPU per step timed, ${resumes} resumes`);
await store.close();
