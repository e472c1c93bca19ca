/**
 * Profiling target: the SQL of one P2 checkpoint on the SQLite store's own
 * schema, without the engine or the store's JavaScript, against P2's raw
 * insert — to tell the floor of the statements from the rest. Each variant
 * runs `n` transactions on a fresh file (WAL, synchronous=NORMAL, as the store;
 * no WAL auto-checkpoint, so its growth is the bytes each commit appends) and
 * prints CPU µs (user + system) and WAL bytes per transaction; 3 rounds.
 *   node test/bench/profile/sqlite-statements.mjs [n=4000]
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";

const n = Number(process.argv[2] ?? 4000);
const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
mkdirSync(tmp, { recursive: true });
const runId = "0MBfZ3kq9aXw-statements";
const locals = (i) => `[{"n":1,"i":2,"last":3},1000,${i},${i - 1}]`;

async function variant(name, prepare) {
  const file = join(tmp, `statements-${name}.db`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
  const store = sqliteStore({ path: file });
  await store.getRun("none"); // opens the file: the store's schema
  await store.close();
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 0");
  db.prepare(`INSERT INTO runs (id, endpoint, status, state, request, trigger_data, request_hash, fence, steps_done, created_at, updated_at)
    VALUES (?, 'e', 'running', 0, ?, '{}', '', 1, 0, 0, 0)`).run(runId, `[["Request",1],[2,3,4,5],"GET","http://bench.local/steps?n=1000",[],-1]`);
  const step = prepare(db);
  step(0); // the first write creates the pages the others touch
  const walBefore = statSync(`${file}-wal`).size;
  const before = process.cpuUsage();
  for (let i = 1; i <= n; i++) step(i);
  const { user, system } = process.cpuUsage(before);
  const wal = (statSync(`${file}-wal`).size - walBefore) / n;
  db.close();
  return `${name.padEnd(38)} ${((user + system) / n).toFixed(1).padStart(6)} µs CPU  ${Math.round(wal).toString().padStart(6)} B WAL`;
}

const STEP = `INSERT INTO steps (run_id, id, kind, status, attempts, output, wake_at, started_at, updated_at) VALUES (?, ?, 'run', 'completed', 0, ?, NULL, ?, ?)
  ON CONFLICT (run_id, id) DO UPDATE SET kind = excluded.kind, status = excluded.status, attempts = excluded.attempts, output = excluded.output,
  wake_at = excluded.wake_at, updated_at = excluded.updated_at`;
const UPDATE = `UPDATE runs SET state = ?, locals = ?, counters = ?, steps_done = ?, rev = rev + 1, updated_at = ? WHERE id = ? AND fence = ? AND status <> 'cancelled'`;

/** One checkpoint's transaction: the fenced run update (`returning` read back, as the store did before), then the step upsert. */
const checkpoint = (returning) => (db) => {
  const [begin, update, upsert, commit] = ["BEGIN IMMEDIATE", returning ? `${UPDATE} RETURNING status, wake_at, concurrency_key` : UPDATE, STEP, "COMMIT"].map((sql) => db.prepare(sql));
  return (i) => {
    begin.run();
    const now = Date.now();
    if (returning) update.get(1, locals(i), `{"s":${i}}`, i, now, runId, 1);
    else update.run(1, locals(i), `{"s":${i}}`, i, now, runId, 1);
    upsert.run(runId, i === 0 ? "s" : `s:${i}`, `[${i}]`, now, now);
    commit.run();
  };
};

const variants = {
  "raw insert (P2's physical limit)": (db) => {
    db.exec("CREATE TABLE checkpoint (seq INTEGER PRIMARY KEY, run TEXT, payload TEXT)");
    const insert = db.prepare("INSERT INTO checkpoint (run, payload) VALUES (?, ?)");
    return (i) => insert.run("run-1", JSON.stringify([`s:${i}`, "completed", `[${i}]`, 1, locals(i), `{"s":${i}}`]));
  },
  "checkpoint, update … RETURNING": checkpoint(true),
  "checkpoint, update without RETURNING": checkpoint(false),
  "run update alone (no RETURNING)": (db) => {
    const update = db.prepare(UPDATE);
    return (i) => update.run(1, locals(i), `{"s":${i}}`, i, Date.now(), runId, 1);
  },
  "step upsert alone": (db) => {
    const upsert = db.prepare(STEP);
    return (i) => upsert.run(runId, i === 0 ? "s" : `s:${i}`, `[${i}]`, Date.now(), Date.now());
  },
};

for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}`);
  for (const [name, prepare] of Object.entries(variants)) console.log("  " + (await variant(name, prepare)));
}
