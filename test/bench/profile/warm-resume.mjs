/**
 * Profiling target: P1's warm resume — one long-lived client (its scheduler
 * kept out) starts runs that suspend after 10 steps, then answers the poll of
 * each once due. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/warm-resume.mjs [memory|sqlite] [runs]
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile   (the resumes only)
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { profiled } from "./profiler.mjs";
import { call, client, finalJson, openStore, pause, startSuspended, withoutScheduler } from "../contenders/ours.mjs";

const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmp, { recursive: true });
const [kind = "memory", count = "2000"] = process.argv.slice(2);
const compiled = await loadEndpoints("compiled");
const store = openStore(kind, tmp, "profile-warm");
const server = client(compiled, withoutScheduler(store));
const urls = [];
// a sleep that outlasts a suspension on a loaded machine (an elapsed one finishes inline: no resume to time)
const SLEEP_MS = 1000;
for (let i = 0; i < Number(count); i++) urls.push((await startSuspended(server.resumeAfter, `/resume?k=10&ms=${SLEEP_MS}`)).url);
await pause(SLEEP_MS + 10);
const started = performance.now();
const cpu = process.cpuUsage();
await profiled(async () => {
  for (const url of urls) await finalJson(await call(server.resumeAfter, url), "resume");
});
const { user, system } = process.cpuUsage(cpu);
const per = (us) => (us / urls.length).toFixed(0);
console.log(`warm resume (${kind}): ${per(1000 * (performance.now() - started))} µs wall, ${per(user + system)} µs CPU (this process, all threads) each`);
await server.inngest.close();
await store.close();
