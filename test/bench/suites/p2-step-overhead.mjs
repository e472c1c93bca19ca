/**
 * P2 per-step overhead: one request running 1,000 trivial steps (compiled, SQLite
 * store; memory store shown too) vs the physical limit — a loop of one raw
 * better-sqlite3 write per step of the very bytes our store was handed, in the
 * same journal mode / synchronous setting — vs plain code. In between, to split
 * the overhead: the same store.checkpoint() calls replayed on the SQLite store
 * without the engine (store cost), and the endpoint on the memory store
 * (engine cost without I/O).
 */
import { join } from "node:path";
import { compare, metric, ratio, time } from "../lib/harness.mjs";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { recordingStore, replayCheckpoints } from "../lib/recording-store.mjs";
import { printTable } from "../lib/report.mjs";
import { openRawDb } from "../contenders/raw-sqlite.mjs";
import { call, client, finalJson, openStore, withClient } from "../contenders/ours.mjs";

const STEPS = 1000;
const path = `/steps?n=${STEPS}`;

function oursRun(handler) {
  return async () => {
    let body;
    const ms = await time(async () => {
      body = await finalJson(await call(handler, path), "1000 steps");
    });
    if (body.last !== STEPS - 1) throw new Error(`1000 steps: unexpected body ${JSON.stringify(body)}`);
    return ms;
  };
}

export async function run({ mode, tmp }) {
  const rounds = mode === "quick" ? 5 : mode === "full" ? 21 : 11;
  const [compiled, plain] = await Promise.all(["compiled", "plain"].map(loadEndpoints));
  const sqlite = openStore("sqlite", tmp, "p2");
  const memory = openStore("memory", tmp, "p2");

  // Capture what one run hands to the store, to replay the same bytes raw.
  const recorder = recordingStore(sqlite, { keepPayloads: true });
  await withClient(compiled, recorder.store, (ep) => oursRun(ep.trivialSteps)());
  const payloads = recorder.log.payloads;
  const raw = openRawDb(join(tmp, "p2-raw.db"));
  let rawRuns = 0;

  // long-lived clients, as in a server process
  const onSqlite = client(compiled, sqlite);
  const onMemory = client(compiled, memory);
  const results = await compare(
    {
      compiled_sqlite: oursRun(onSqlite.trivialSteps),
      compiled_memory: oursRun(onMemory.trivialSteps),
      sqlite_store_only: replayCheckpoints(sqlite, recorder.log.checkpoints),
      raw_sqlite_write: async () => raw.writeAll(`run-${++rawRuns}`, payloads),
      plain: oursRun(plain.createEndpoints().trivialSteps),
    },
    { rounds },
  );
  raw.close();
  await onSqlite.inngest.close();
  await onMemory.inngest.close();
  await sqlite.close();
  await memory.close();

  const bytes = payloads.reduce((sum, p) => sum + Buffer.byteLength(p), 0) / payloads.length;
  printTable(
    `P2 one request of ${STEPS} trivial steps (ms, median of ${rounds}; ${payloads.length} checkpoints of ~${Math.round(bytes)} B)`,
    ["contender", "median ms", "µs per step", "min", "max"],
    Object.entries(results).map(([name, s]) => [name, s.median, (s.median * 1000) / STEPS, s.min, s.max]),
  );
  return [
    ratio("P2.step_vs_raw_write", results, "compiled_sqlite", "raw_sqlite_write", "WAL, synchronous=NORMAL; ms per 1000 steps"),
    metric("P2.us_per_step", (results.compiled_sqlite.median * 1000) / STEPS, "µs", {
      compiled_sqlite: results.compiled_sqlite,
      compiled_memory: results.compiled_memory,
      sqlite_store_only: results.sqlite_store_only,
      raw_sqlite_write: results.raw_sqlite_write,
      plain: results.plain,
    }, "contenders in ms per 1000-step request"),
  ];
}
