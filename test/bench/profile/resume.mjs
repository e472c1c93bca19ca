/**
 * Profiling target: the floor of a P1 resume — a run suspended after 10 steps,
 * resumed to the end by a fresh client's poll GET — repeated. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/resume.mjs
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile   (the resumes only)
 */
import { loadEndpoints } from "../lib/fixtures.mjs";
import { profiled } from "./profiler.mjs";
import { call, finalJson, openStore, pause, startSuspended, withClient, withoutScheduler } from "../contenders/ours.mjs";

const compiled = await loadEndpoints("compiled");
const store = openStore("memory");
// as in P1, one run is due at a time: the fresh clients' schedulers (kept out) would otherwise
// race the polls for the runs that became due meanwhile, and the figures measure that race
const view = withoutScheduler(store);
const SLEEP_MS = 3000;
const urls = [];
for (let i = 0; i < 300; i++) {
  urls.push((await withClient(compiled, view, (ep) => startSuspended(ep.resumeAfter, `/resume?k=10&ms=${SLEEP_MS}`))).url);
}
await pause(SLEEP_MS + 10);
let resuming = 0;
await profiled(async () => {
  for (const url of urls) {
    const started = performance.now();
    await withClient(compiled, view, async (ep) => finalJson(await call(ep.resumeAfter, url), "resume"));
    resuming += performance.now() - started;
  }
});
console.log(`${(resuming / urls.length).toFixed(2)} ms per fresh resume (incl. client close)`);
