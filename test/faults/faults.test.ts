// The fault-injection suite, quick mode (`npm test`): a few dozen runs, several at once, each with one
// injected fault — SIGKILLs at and between checkpoints, Postgres connections cut before, after and
// inside transactions, a stalled connection past the lease, a database outage, a held SQLite write
// lock — and its events (several ids, re-sent, through its own instances or another process) sent
// before, during and after its three waits for them. Every invariant of checks.mjs must hold for every run. The long mode is `npm run chaos -- --faults` (2,000 runs).
// App processes run the BUILT runtime and transform (`npm test` builds first).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { runFaults } from "./faults.mjs";
import { FAULT_KINDS } from "./plan.mjs";

const built = fileURLToPath(new URL("../../packages/runtime/dist/stores/postgres.js", import.meta.url));
const RUNS = 40;

it(`${RUNS} runs, each through an injected fault, keep every durability invariant`, async () => {
  expect(existsSync(built), "build the runtime first: npx turbo run build --filter=@durable-endpoints/runtime").toBe(true);
  const report = await runFaults({ runs: RUNS, concurrency: 6, seed: Number(process.env.FAULT_SEED ?? Date.now() % 100_000), log: (line: string) => console.log(`[faults] ${line}`) });
  console.log(`[faults] report ${JSON.stringify(report, null, 2)}`);
  expect(report.violations).toEqual([]);
  expect(report.compiled).toBe("yes");
  // every kind of fault really happened
  for (const kind of Object.keys(FAULT_KINDS)) expect(report.faults[kind].injected, kind).toBeGreaterThan(0);
  // the held SQLite lock is taken where the run must write next, so its writes meet it (all 222 of 222 in
  // the 2,000-run campaign); a process starved of CPU may not write while it is held, so here: at least one
  // events raced the waits: some were delivered (also to both siblings at once), some were due to a wait
  // that timed out or kept out of the third wait as received before, some re-sent, some sent by another process
  expect(report.events.delivered).toBeGreaterThan(0);
  expect(report.events.resends).toBeGreaterThan(0);
  expect(report.events.viaSender).toBeGreaterThan(0);
  expect(report.events.receivedBefore).toBeGreaterThan(0);
  const lock = report.faults["write-lock-held"];
  expect(lock.writeBlocked, "write-lock-held runs whose write met the lock").toBeGreaterThan(0);
}, 300_000);
