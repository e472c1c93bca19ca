/**
 * Timing target: P1's cold resume as the bench takes it — one run at a time
 * started by a fresh client, suspended after 10 steps on a short sleep, then,
 * once due, its poll answered by another fresh client (scheduler and all);
 * only that poll (GET to body read) is timed. Run:
 *   node test/bench/profile/cold-resume.mjs [memory|sqlite] [runs]
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { call, finalJson, openStore, pause, startSuspended, withClient } from "../contenders/ours.mjs";

const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmp, { recursive: true });
const [kind = "sqlite", count = "150"] = process.argv.slice(2);
const SLEEP_MS = 40;
const compiled = await loadEndpoints("compiled");
const store = openStore(kind, tmp, "profile-cold");
const times = [];
for (let i = 0; i < Number(count); i++) {
  const { url } = await withClient(compiled, store, (ep) => startSuspended(ep.resumeAfter, `/resume?k=10&ms=${SLEEP_MS}`));
  await pause(SLEEP_MS + 1);
  times.push(
    await withClient(compiled, store, async (ep) => {
      const started = performance.now();
      await finalJson(await call(ep.resumeAfter, url), "resume");
      return performance.now() - started;
    }),
  );
}
times.sort((a, b) => a - b);
const at = (q) => times[Math.floor(q * (times.length - 1))].toFixed(3);
console.log(`cold resume (${kind}): median ${at(0.5)} ms, p10 ${at(0.1)}, p90 ${at(0.9)} (${times.length} resumes)`);
await store.close();
