// Run by sqlite.test.ts under Bun: the SQLite store on bun:sqlite, two instances on one file.
// Prints one JSON line of observations. argv: <bundled sqlite store module> <db path>
const [storeModule, path] = process.argv.slice(2);
const { sqliteStore } = await import(storeModule);
const [a, b] = [sqliteStore({ path }), sqliteStore({ path })];
const now = Date.now();
const run = {
  id: "r1", endpoint: "e", version: null, status: "running", state: 0, locals: null, counters: null, request: "{}",
  trigger: "{}", idempotencyKey: "k", requestHash: "", result: null, wakeAt: null, leaseOwner: "o",
  leaseExpiresAt: now + 60_000, fence: 1, stepsDone: 0, concurrency: null, createdAt: now, updatedAt: now,
};
const step = { runId: "r1", id: "s", kind: "run", status: "completed", attempts: 0, output: "1", wakeAt: null, startedAt: now, updatedAt: now };
const created = (await a.createRun(run)).created;
const duplicate = (await b.createRun({ ...run, id: "r2" })).created;
// Woken by the other connection's commit (data_version poll), well before the 5 s abort.
const waitStarted = Date.now();
const woken = a.waitForChange("r1", AbortSignal.timeout(5000)).then(() => Date.now() - waitStarted < 4000);
const written = await b.checkpoint({ runId: "r1", fence: 1, step, run: { stepsDone: 1 } });
const wokenByOtherInstance = await woken;
const stale = await a.checkpoint({ runId: "r1", fence: 0, run: { state: 9 } });
const steps = (await a.listSteps("r1")).length;
await Promise.all([a.close(), b.close()]);
console.log(JSON.stringify({ runtime: process.versions.bun ? "bun" : "node", created, duplicate, written, wokenByOtherInstance, stale, steps }));
