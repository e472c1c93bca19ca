/**
 * Profiling target: the P3 workload without HTTP — sequential requests to the
 * 3-step endpoint (compiled), on the memory (default) or SQLite store. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/requests.mjs [memory|sqlite]
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { call, finalJson, openStore, withClient } from "../contenders/ours.mjs";

const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmp, { recursive: true });
const compiled = await loadEndpoints("compiled");
const store = openStore(process.argv[2] ?? "memory", tmp, "profile-requests");
await withClient(compiled, store, async (ep) => {
  const started = performance.now();
  for (let i = 0; i < 1000; i++) await finalJson(await call(ep.threeSteps, `/checkout?id=${i}`), "profile request");
  console.log(`${((performance.now() - started) / 1000).toFixed(3)} ms per request`);
});
await store.close();
