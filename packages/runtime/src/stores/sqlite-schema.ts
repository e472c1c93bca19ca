/**
 * SQLite schema, versioned with `PRAGMA user_version`. Each migration is a list
 * of statements; `migrate` applies the missing ones in one `BEGIN IMMEDIATE`
 * transaction, so processes opening the same file at once serialize on it.
 * Append new migrations; never edit a released one.
 */
import type { SqliteDb } from "./sqlite-driver.js";

const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      endpoint TEXT NOT NULL,
      version TEXT,
      status TEXT NOT NULL,
      state INTEGER NOT NULL,
      locals TEXT,
      counters TEXT,
      request TEXT NOT NULL,
      trigger_data TEXT NOT NULL,
      idempotency_key TEXT,
      request_hash TEXT NOT NULL,
      result TEXT,
      wake_at INTEGER,
      lease_owner TEXT,
      lease_expires_at INTEGER,
      fence INTEGER NOT NULL,
      steps_done INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      rev INTEGER NOT NULL DEFAULT 0 -- bumped on every change, so other processes can tell which runs moved
    )`,
    `CREATE UNIQUE INDEX runs_idempotency ON runs (endpoint, idempotency_key)`,
    `CREATE INDEX runs_due ON runs (status, endpoint, wake_at)`,
    `CREATE INDEX runs_created ON runs (created_at)`,
    // A rowid table: rowid breaks ties in start order between steps started in the same millisecond.
    `CREATE TABLE steps (
      run_id TEXT NOT NULL,
      id TEXT NOT NULL,
      kind TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      output TEXT,
      wake_at INTEGER,
      started_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (run_id, id)
    )`,
    `CREATE TABLE waits (
      run_id TEXT NOT NULL,
      step_id TEXT NOT NULL,
      event TEXT NOT NULL,
      match TEXT,
      expr TEXT,
      since INTEGER NOT NULL,
      timeout_at INTEGER NOT NULL,
      PRIMARY KEY (run_id, step_id)
    )`,
    `CREATE INDEX waits_event ON waits (event, since)`,
    `CREATE TABLE events (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL, ts INTEGER NOT NULL)`,
    `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  ],
  // event delivery by index: waits by (event, match path, key of the value there), events by (name, ts)
  [
    `ALTER TABLE waits ADD COLUMN match_key TEXT`,
    `DROP INDEX waits_event`,
    `CREATE INDEX waits_match ON waits (event, match, match_key, since)`,
    `CREATE INDEX events_name_ts ON events (name, ts)`,
  ],
  // streamed responses: one head per run, its bytes in append-only chunks
  [
    `CREATE TABLE streams (run_id TEXT PRIMARY KEY, generation INTEGER NOT NULL, head TEXT NOT NULL, size INTEGER NOT NULL)`,
    `CREATE TABLE stream_chunks (
      run_id TEXT NOT NULL,
      generation INTEGER NOT NULL,
      byte_offset INTEGER NOT NULL,
      data BLOB NOT NULL,
      PRIMARY KEY (run_id, generation, byte_offset)
    )`,
  ],
  // concurrency limits: a run's key and limit; its key's unfinished runs in queue order (rowid breaks ties)
  [
    `ALTER TABLE runs ADD COLUMN concurrency_key TEXT`,
    `ALTER TABLE runs ADD COLUMN concurrency_limit INTEGER`,
    `CREATE INDEX runs_concurrency ON runs (endpoint, concurrency_key, wake_at)
      WHERE concurrency_key IS NOT NULL AND status IN ('running', 'waiting')`,
  ],
  // event retention: old events are pruned by time
  [`CREATE INDEX events_ts ON events (ts)`],
  // a wait's `seen`: events its run had seen with a `ts` at or after the wait's beginning (JSON ids)
  [`ALTER TABLE waits ADD COLUMN seen TEXT`],
];

/** The schema version this runtime writes (`PRAGMA user_version`). */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: SqliteDb, path: string): void {
  db.transaction(() => {
    const current = db.get<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `SQLite store ${path} has schema version ${current}, newer than this runtime supports (${MIGRATIONS.length}); upgrade @durable-endpoints/runtime`,
      );
    }
    for (const statements of MIGRATIONS.slice(current)) for (const sql of statements) db.exec(sql);
    // PRAGMA takes no bound parameters; the value is our own integer.
    if (current < MIGRATIONS.length) db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
}
