/**
 * Profiling target: the P2 workload (1,000 trivial steps per request, compiled),
 * repeated, on the SQLite (default) or memory store. Run:
 *   node --cpu-prof --cpu-prof-dir=test/bench/.tmp/prof test/bench/profile/steps.mjs [sqlite|memory]
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof/<file>.cpuprofile
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { call, finalJson, openStore, withClient } from "../contenders/ours.mjs";

const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmp, { recursive: true });
const compiled = await loadEndpoints("compiled");
const store = openStore(process.argv[2] ?? "sqlite", tmp, "profile-steps");
await withClient(compiled, store, async (ep) => {
  for (let i = 0; i < 20; i++) await finalJson(await call(ep.trivialSteps, "/steps?n=1000"), "profile run");
});
await store.close();
