/**
 * SQL for inspection tools, shared by the SQLite and Postgres stores.
 *
 * `listRuns`: only the
 * options given become conditions, so the planner can use the index that
 * fits (a `? IS NULL OR …` condition would hide it). The `after` cursor is
 * resolved first to its (created_at, insertion order) pair; `created_at <=`
 * lets the scan start there instead of at the newest run.
 */
import type { ListRunsOptions } from "../store.js";

export interface ListRunsDialect {
  /** quoted runs table */
  runs: string;
  /** the column holding insertion order (SQLite: rowid, Postgres: seq) */
  order: string;
  /** the placeholder of the n-th parameter (1-based) */
  placeholder(n: number): string;
  /** the position of ':' in `idempotency_key` (SQLite: instr, Postgres: strpos) */
  colonIn: string;
}

export interface RunCursor {
  createdAt: number;
  order: number | string;
}

/** The statement that finds the cursor run's position. */
export const cursorSql = (d: ListRunsDialect): string => `SELECT created_at, ${d.order} AS position FROM ${d.runs} WHERE id = ${d.placeholder(1)}`;

export function listRunsSql(options: ListRunsOptions, cursor: RunCursor | null, d: ListRunsDialect): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown) => d.placeholder(values.push(value));
  const where: string[] = [];
  if (options.endpoint !== undefined) where.push(`endpoint = ${param(options.endpoint)}`);
  if (options.status !== undefined) where.push(`status = ${param(options.status)}`);
  // the caller's key: what follows the scope (a key stored without one, before keys were scoped, is itself)
  if (options.idempotencyKey !== undefined) where.push(`substr(idempotency_key, ${d.colonIn} + 1) = ${param(options.idempotencyKey)}`);
  if (options.createdFrom !== undefined) where.push(`created_at >= ${param(options.createdFrom)}`);
  if (options.createdTo !== undefined) where.push(`created_at < ${param(options.createdTo)}`);
  if (cursor) {
    where.push(`created_at <= ${param(cursor.createdAt)}`);
    where.push(`(created_at < ${param(cursor.createdAt)} OR ${d.order} < ${param(cursor.order)})`);
  }
  const limit = options.limit !== undefined ? ` LIMIT ${param(options.limit)}` : "";
  const filter = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  return { sql: `SELECT * FROM ${d.runs}${filter} ORDER BY created_at DESC, ${d.order} DESC${limit}`, values };
}

/** The steps `wakeRun` makes due: sleeps in progress and step.run retries waiting for their backoff (not waits for events). */
export const WAKEABLE_STEPS = "((kind IN ('sleep', 'sleepUntil') AND status = 'waiting') OR (kind = 'run' AND status = 'retrying'))";
