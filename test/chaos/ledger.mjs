// The ledger: a Postgres table, separate from the store, where every step body records when it
// started and ended, in which process. It is the ground truth for "each step ran exactly once" and
// "no run executed in two processes at once". Times come from Postgres's clock_timestamp(), one
// clock for all processes.
import pg from "pg";

export const LEDGER_DDL = (schema) => [
  `CREATE SCHEMA IF NOT EXISTS "${schema}"`,
  `CREATE TABLE IF NOT EXISTS "${schema}".ledger (
     seq BIGSERIAL PRIMARY KEY, run TEXT NOT NULL, step TEXT NOT NULL, pid INTEGER NOT NULL,
     phase TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
  `CREATE TABLE IF NOT EXISTS "${schema}".kills (pid INTEGER NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
  // Every checkpoint a worker attempted, with the fence it wrote under and whether the store took it.
  `CREATE TABLE IF NOT EXISTS "${schema}".checkpoints (
     seq BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, step TEXT, status TEXT, pid INTEGER NOT NULL,
     fence BIGINT NOT NULL, ok BOOLEAN NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries a query through Postgres restarts: a step body must not fail because the ledger is down. */
export async function persistently(pool, sql, values) {
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await pool.query(sql, values);
    } catch {
      await sleep(delay);
    }
  }
}

/** The step-body helpers a worker hands to the chaos endpoint. */
export function ledgerWriter(connectionString, schema) {
  const pool = new pg.Pool({ connectionString, max: 4, allowExitOnIdle: true });
  pool.on("error", () => {});
  const record = (run, step, phase) =>
    persistently(pool, `INSERT INTO "${schema}".ledger (run, step, pid, phase) VALUES ($1, $2, $3, $4)`, [run, step, process.pid, phase]);

  /** A step body's side effect: "start", a few ms of work, "end". */
  async function effect(run, step, compute) {
    await record(run, step, "start");
    await sleep(Math.random() * 10);
    const value = compute();
    await record(run, step, "end");
    return value;
  }

  /** Fails the first `failures` attempts (counted in the ledger, so across processes), then behaves like `effect`. */
  async function flaky(run, step, failures, compute) {
    const { rows } = await persistently(pool, `SELECT count(*)::int AS n FROM "${schema}".ledger WHERE run = $1 AND step = $2 AND phase = 'fail'`, [run, step]);
    if (rows[0].n < failures) {
      await record(run, step, "fail");
      throw new Error(`${step} fails on purpose (${rows[0].n + 1} of ${failures})`);
    }
    return effect(run, step, compute);
  }

  /** Records a checkpoint attempt (after the store answered) — the fence-stamped write log; for watchCheckpoints. */
  function recordCheckpoint({ checkpoint: cp, ok }) {
    return persistently(
      pool,
      `INSERT INTO "${schema}".checkpoints (run_id, step, status, pid, fence, ok) VALUES ($1, $2, $3, $4, $5, $6)`,
      [cp.runId, cp.step?.id ?? null, cp.step?.status ?? null, process.pid, cp.fence, ok],
    );
  }

  return { effect, flaky, recordCheckpoint };
}
