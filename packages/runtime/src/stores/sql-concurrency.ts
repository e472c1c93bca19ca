/**
 * Concurrency slots in SQL (see `RunConcurrency` in store.ts), shared by the
 * SQLite and Postgres stores: the condition under which a run whose lease is
 * free may take a slot of its key. SQLite evaluates it inside its one write
 * transaction; Postgres under the key's advisory lock (postgres.ts).
 */

/** Adds a parameter value and returns its placeholder (`?` or `$n`). */
export type Arg = (value: unknown) => string;

export interface SlotDialect {
  /** the runs table */
  runs: string;
  /** the column giving insertion order */
  order: "rowid" | "seq";
  /** run `alias` holds a live lease (by the caller's `now`, or the store's own clock) */
  leaseLive: (alias: string, now: () => string) => string;
}

/** Due (or orphaned while running) with its lease free — what a claim takes; `now` is a placeholder each. */
export const dueAndFree = (d: SlotDialect, alias: string, now: () => string): string =>
  `${alias}.status IN ('running', 'waiting') AND NOT ${d.leaseLive(alias, now)}
   AND (${alias}.status = 'running' OR ${alias}.wake_at <= ${now()})`;

/**
 * True when run `alias` may take a slot at `now`: no limit, or the leases its
 * key's other runs hold plus the runs queued ahead of it (due, lease free,
 * earlier in queue order: `wake_at`, a running run's as 0, then insertion)
 * leave one free.
 */
export function slotFree(d: SlotDialect, alias: string, now: () => string): string {
  const taken = `SELECT count(*) FROM ${d.runs} o WHERE o.endpoint = ${alias}.endpoint AND o.concurrency_key = ${alias}.concurrency_key
    AND o.id <> ${alias}.id AND o.status IN ('running', 'waiting') AND (${d.leaseLive("o", now)}
      OR ((o.status = 'running' OR o.wake_at <= ${now()})
        AND (coalesce(o.wake_at, 0), o.${d.order}) < (coalesce(${alias}.wake_at, 0), ${alias}.${d.order})))`;
  return `(${alias}.concurrency_key IS NULL OR (${taken}) < ${alias}.concurrency_limit)`;
}

/** A run inserted without a slot: queued, due at its creation, no lease. */
export const queuedForm = <R extends { createdAt: number }>(run: R): R => ({
  ...run,
  status: "waiting",
  wakeAt: run.createdAt,
  leaseOwner: null,
  leaseExpiresAt: null,
});
