/**
 * Profiling target: the floor of a P1 resume — a run suspended after 10 steps,
 * resumed to the end by a fresh client's poll GET — repeated. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/resume.mjs
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile
 */
import { loadEndpoints } from "../lib/fixtures.mjs";
import { call, finalJson, openStore, pause, startSuspended, withClient } from "../contenders/ours.mjs";

const compiled = await loadEndpoints("compiled");
const store = openStore("memory");
const urls = [];
for (let i = 0; i < 300; i++) {
  urls.push((await withClient(compiled, store, (ep) => startSuspended(ep.resumeAfter, "/resume?k=10&ms=50"))).url);
}
await pause(60);
let resuming = 0;
for (const url of urls) {
  const started = performance.now();
  await withClient(compiled, store, async (ep) => finalJson(await call(ep.resumeAfter, url), "resume"));
  resuming += performance.now() - started;
}
console.log(`${(resuming / urls.length).toFixed(2)} ms per fresh resume (incl. client close)`);
