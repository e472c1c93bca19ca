/**
 * Postgres schema, versioned in `<schema>.schema_version`. Migrations run on
 * first use under a transaction-scoped advisory lock, so several instances
 * starting at once apply each migration exactly once. Append new migrations;
 * never edit a released one.
 */
import type { PoolClient } from "pg";

const MIGRATIONS: readonly ((s: string) => string[])[] = [
  (s) => [
    `CREATE TABLE ${s}.runs (
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
      wake_at BIGINT,
      lease_owner TEXT,
      lease_expires_at BIGINT,
      fence BIGINT NOT NULL,
      steps_done INTEGER NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      seq BIGINT GENERATED ALWAYS AS IDENTITY, -- insertion order, breaks created_at ties in listRuns
      UNIQUE (endpoint, idempotency_key)
    )`,
    `CREATE INDEX runs_due ON ${s}.runs (endpoint, status, wake_at)`,
    `CREATE INDEX runs_created ON ${s}.runs (created_at)`,
    `CREATE TABLE ${s}.steps (
      run_id TEXT NOT NULL,
      id TEXT NOT NULL,
      kind TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      output TEXT,
      wake_at BIGINT,
      started_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      seq BIGINT GENERATED ALWAYS AS IDENTITY, -- breaks started_at ties in listSteps
      PRIMARY KEY (run_id, id)
    )`,
    `CREATE TABLE ${s}.waits (
      run_id TEXT NOT NULL,
      step_id TEXT NOT NULL,
      event TEXT NOT NULL,
      match TEXT,
      expr TEXT,
      since BIGINT NOT NULL,
      timeout_at BIGINT NOT NULL,
      PRIMARY KEY (run_id, step_id)
    )`,
    `CREATE INDEX waits_event ON ${s}.waits (event, since)`,
    `CREATE TABLE ${s}.events (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL, ts BIGINT NOT NULL)`,
    `CREATE TABLE ${s}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  ],
  // event delivery by index: waits by (event, match path, key of the value there), events by (name, ts)
  (s) => [
    `ALTER TABLE ${s}.waits ADD COLUMN match_key TEXT`,
    `DROP INDEX ${s}.waits_event`,
    `CREATE INDEX waits_match ON ${s}.waits (event, match, match_key, since)`,
    `CREATE INDEX events_name_ts ON ${s}.events (name, ts)`,
  ],
  // streamed responses: one head per run, its bytes in append-only chunks
  (s) => [
    `CREATE TABLE ${s}.streams (run_id TEXT PRIMARY KEY, generation INTEGER NOT NULL, head TEXT NOT NULL, size BIGINT NOT NULL)`,
    `CREATE TABLE ${s}.stream_chunks (
      run_id TEXT NOT NULL,
      generation INTEGER NOT NULL,
      byte_offset BIGINT NOT NULL,
      data BYTEA NOT NULL,
      PRIMARY KEY (run_id, generation, byte_offset)
    )`,
  ],
  // concurrency limits: a run's key and limit; its key's unfinished runs in queue order (seq breaks ties)
  (s) => [
    `ALTER TABLE ${s}.runs ADD COLUMN concurrency_key TEXT`,
    `ALTER TABLE ${s}.runs ADD COLUMN concurrency_limit INTEGER`,
    `CREATE INDEX runs_concurrency ON ${s}.runs (endpoint, concurrency_key, wake_at)
      WHERE concurrency_key IS NOT NULL AND status IN ('running', 'waiting')`,
  ],
  // leases timed by the server's clock: when the lease ends, by the server's clock (instances' clocks may disagree)
  (s) => [`ALTER TABLE ${s}.runs ADD COLUMN lease_until BIGINT`, `UPDATE ${s}.runs SET lease_until = lease_expires_at`],
  // event retention: old events are pruned by time
  (s) => [`CREATE INDEX events_ts ON ${s}.events (ts)`],
  // checkpoints numbered per fence (Checkpoint.seq): a statement orphaned by a cut connection that commits late
  // never applies over a later checkpoint of the same execution
  (s) => [`ALTER TABLE ${s}.runs ADD COLUMN checkpoint_seq BIGINT NOT NULL DEFAULT 0`],
  // a wait's `seen`: events its run had seen with a `ts` at or after the wait's beginning (JSON ids)
  (s) => [`ALTER TABLE ${s}.waits ADD COLUMN seen TEXT`],
];

/** `schema` is the already quoted identifier; `name` the raw one (for the lock key and messages). */
export async function migrate(client: PoolClient, schema: string, name: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`durable-endpoints:${name}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version INTEGER NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_version`);
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `Postgres schema "${name}" has version ${current}, newer than this runtime supports (${MIGRATIONS.length}); upgrade @durable-endpoints/runtime`,
      );
    }
    for (const migration of MIGRATIONS.slice(current)) for (const sql of migration(schema)) await client.query(sql);
    if (rows.length === 0) await client.query(`INSERT INTO ${schema}.schema_version VALUES ($1)`, [MIGRATIONS.length]);
    else await client.query(`UPDATE ${schema}.schema_version SET version = $1`, [MIGRATIONS.length]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
