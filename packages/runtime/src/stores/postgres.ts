/**
 * The shared store: many app instances, one Postgres database.
 *
 * - Tables live in their own schema (default "durable"), created and migrated
 *   on first use under an advisory lock (safe when instances start together).
 * - A checkpoint is ONE statement: the fenced run update, then the step and
 *   wait upserts fed from its result — a stale fence matches no row, so
 *   nothing at all is written. One round trip, one implicit transaction.
 * - A statement can commit after its client saw it fail: a cut connection's
 *   backend does not notice until it answers (no `client_connection_check_interval`
 *   by default), so a checkpoint still on the network, in a pooler, or queued
 *   for a lock runs whenever it gets there — possibly after the retry and the
 *   later checkpoints of the same execution, under the same fence. So
 *   checkpoints are numbered (`Checkpoint.seq`, per fence: `checkpoint_seq`,
 *   reset by every lease grant that moves the fence) and the update applies
 *   only over an older one: a late copy writes nothing, whatever order the
 *   statements land in; a retry that finds its number applied (the first
 *   attempt committed, its answer lost) answers as that attempt did.
 * - `claimDue` locks candidates with `FOR UPDATE SKIP LOCKED`: concurrent
 *   schedulers on other instances skip each other's rows instead of queueing.
 * - A run change someone can wait for NOTIFYs `durable_run:<schema>` (payload:
 *   run id) and work that became due NOTIFYs `durable_due:<schema>`, inside the
 *   writing statement, so they are delivered exactly when it commits. One
 *   dedicated connection LISTENs (see postgres-listener.ts) — only once someone
 *   waits. A commit that NOTIFYs holds a server-wide lock through its WAL flush
 *   (notifying commits queue one by one), so a checkpoint that only records
 *   progress — the run stays running under the same lease, no status, wake-up
 *   time or result changes — notifies nobody: no waiter acts on it (see
 *   `Store.waitForChange`), as on a lease renewal.
 * - Whether a lease is live is judged by the database server's clock: a lease
 *   lasts its ttl from the statement that took or renewed it (`lease_until`,
 *   the server's time), so instances whose clocks disagree still agree on who
 *   holds a run (and on the slots of a concurrency key). `lease_expires_at`
 *   keeps the holder's view, by its clock; a release clears it.
 * - Connection loss (a Postgres restart) surfaces as `StoreUnavailableError`
 *   (retriable); the pool reconnects on the next call.
 *
 * Nothing connects until the first call, so a store built at import time does no I/O.
 */
import type { Client, Pool, PoolClient, QueryResultRow } from "pg";
import type { Checkpoint, EventMatcher, EventRecord, ListRunsOptions, RunChange, RunRecord, StepRecord, Store, StreamChunk, StreamRecord, WaitRecord } from "../store.js";
import { ChangeHub } from "./change-hub.js";
import { classify } from "./postgres-errors.js";
import { PgListener, type Channels } from "./postgres-listener.js";
import { migrate } from "./postgres-schema.js";
import { dueAndFree, queuedForm, slotFree, type SlotDialect } from "./sql-concurrency.js";
import { cursorSql, listRunsSql, WAKEABLE_STEPS, type ListRunsDialect, type RunCursor } from "./sql-inspection.js";
import {
  EVENT_COLUMNS, RUN_COLUMNS, STEP_COLUMNS, STEP_ON_CONFLICT, WAIT_COLUMNS, WAIT_ON_CONFLICT, editedLocals, eventFromRow, patchColumns,
  runFromRow, runValues, stepFromRow, stepValues, waitFromRow, waitValues,
} from "./sql-rows.js";

export interface PostgresStoreOptions {
  connectionString: string;
  /**
   * Schema holding the tables: this option, else the URL's `?schema=` parameter, else "durable".
   * Letters, digits and `_`, at most 40 characters.
   */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

export function postgresStore(options: PostgresStoreOptions): Store {
  return new PostgresStore(options);
}

const pgParam = (n: number) => `$${n}`;

/** The database server's clock, in ms: what leases are timed by (see the header). */
const SERVER_NOW = "floor(extract(epoch from clock_timestamp()) * 1000)::bigint";
const leaseLive = (r: string) => `(${r}.lease_expires_at IS NOT NULL AND coalesce(${r}.lease_until > ${SERVER_NOW}, false))`;

type PgModule = { Pool: typeof Pool; Client: typeof Client };

// Postgres infers parameter types from context, except in a SELECT list feeding an INSERT: cast there.
const STEP_TYPES = ["text", "text", "text", "text", "integer", "text", "bigint", "bigint", "bigint"];
const WAIT_TYPES = ["text", "text", "text", "text", "text", "text", "bigint", "text", "bigint"];

class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly localsEdits = true;
  readonly #options: PostgresStoreOptions;
  readonly #name: string;
  /** Quoted schema-qualified table names. */
  readonly #t: { runs: string; steps: string; waits: string; events: string; meta: string; streams: string; chunks: string };
  readonly #channels: Channels;
  readonly #slots: SlotDialect;
  readonly #hub = new ChangeHub((active) => active && this.#listener.start());
  readonly #listener: PgListener;
  #pg: Promise<PgModule> | undefined;
  #pool: Promise<Pool> | undefined;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    const name = options.schema ?? schemaParam(options.connectionString) ?? "durable";
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(name)) {
      throw new Error(`postgresStore: invalid schema name ${JSON.stringify(name)} (letters, digits and _, at most 40 characters)`);
    }
    this.#options = options;
    this.#name = name;
    const schema = `"${name}"`;
    this.#t = {
      runs: `${schema}.runs`,
      steps: `${schema}.steps`,
      waits: `${schema}.waits`,
      events: `${schema}.events`,
      meta: `${schema}.meta`,
      streams: `${schema}.streams`,
      chunks: `${schema}.stream_chunks`,
    };
    this.#channels = { run: `durable_run:${name}`, due: `durable_due:${name}` };
    this.#slots = { runs: this.#t.runs, order: "seq", leaseLive };
    this.#listener = new PgListener(() => this.#listenerClient(), this.#channels, this.#hub);
  }

  async createRun(run: RunRecord) {
    const { runs } = this.#t;
    // the lease lasts from this write as long as the caller's clock says (its expiry less the write's time)
    const leaseMs = run.leaseExpiresAt === null ? null : run.leaseExpiresAt - run.updatedAt;
    const leaseUntil = `${SERVER_NOW} + $${RUN_COLUMNS.length + 1}::bigint`;
    const insert = `INSERT INTO ${runs} (${RUN_COLUMNS.join(", ")}, lease_until) VALUES (${params(1, RUN_COLUMNS.length)}, ${leaseUntil})
       ON CONFLICT (endpoint, idempotency_key) DO NOTHING RETURNING *`;
    const inserted =
      run.concurrency !== null && run.leaseOwner !== null
        ? await this.#withSlots(run.endpoint, run.concurrency.key, async (client) => {
            // queued first: then it takes the lease only if a slot is free for it
            const { rows: [queued] } = await client.query(insert, [...runValues(queuedForm(run)), null]);
            if (!queued) return [];
            const args: unknown[] = [run.status, run.wakeAt, run.leaseOwner, run.leaseExpiresAt, run.id, leaseMs];
            const { rows: [leased] } = await client.query(
              `UPDATE ${runs} r SET status = $1, wake_at = $2, lease_owner = $3, lease_expires_at = $4, lease_until = ${SERVER_NOW} + $6::bigint
               WHERE id = $5 AND ${slotFree(this.#slots, "r", pgArg(args, run.createdAt))} RETURNING *`,
              args,
            );
            // queued: due work, at commit — a slot freed while we held the lock found no run to give it to
            if (!leased) await client.query("SELECT pg_notify($1, '')", [this.#channels.due]);
            return [leased ?? queued];
          })
        : await this.#query(insert, [...runValues(run), leaseMs]);
    if (inserted[0]) return { created: true as const, run: runFromRow(inserted[0]) };
    const [existing] = await this.#query(`SELECT * FROM ${runs} WHERE endpoint = $1 AND idempotency_key = $2`, [run.endpoint, run.idempotencyKey]);
    if (!existing) throw new Error(`run ${run.id} already exists`);
    return { created: false as const, run: runFromRow(existing) };
  }

  async getRun(runId: string) {
    const [row] = await this.#query(`SELECT * FROM ${this.#t.runs} WHERE id = $1`, [runId]);
    return row ? runFromRow(row) : null;
  }

  async acquireLease(runId: string, owner: string, ttlMs: number, now: number) {
    const { runs } = this.#t;
    const args: unknown[] = [runId, owner, now + ttlMs, now, ttlMs, this.#channels.run];
    const update = `UPDATE ${runs} r SET lease_owner = $2, lease_expires_at = $3, lease_until = ${SERVER_NOW} + $5, fence = fence + 1, checkpoint_seq = 0, updated_at = $4
       WHERE id = $1 AND status IN ('running', 'waiting') AND NOT ${leaseLive("r")}`;
    const row = await this.#grant(update, "r.concurrency_key IS NULL", "r.*, pg_notify($6, r.id)", args, now);
    return row ? runFromRow(row) : null;
  }

  async renewLease(runId: string, fence: number, ttlMs: number, now: number) {
    // Not a change anyone waits for: no notification. A lease under a concurrency limit that expired
    // meanwhile is renewed only into a free slot.
    const update = `UPDATE ${this.#t.runs} r SET lease_expires_at = $3, lease_until = ${SERVER_NOW} + $4 WHERE id = $1 AND fence = $2 AND lease_owner IS NOT NULL`;
    return (await this.#grant(update, `(r.concurrency_key IS NULL OR ${leaseLive("r")})`, "r.id", [runId, fence, now + ttlMs, ttlMs], now)) !== null;
  }

  /**
   * Grants (or renews) a lease of run $1 with `update` (an UPDATE of runs `r`, up to its WHERE):
   * in one statement where `freeWithoutSlot` holds (no concurrency key, or a live lease of one);
   * otherwise, for a run with a concurrency key, only into a free slot, under its key's lock.
   * The statement that tries the first also reads the key of a run it did not grant: no extra round
   * trip for a run without one. Returns the `returning` columns (they include `id`) of the run
   * granted, or null.
   */
  async #grant(update: string, freeWithoutSlot: string, returning: string, args: readonly unknown[], now: number): Promise<QueryResultRow | null> {
    const { runs } = this.#t;
    // a key never changes after createRun: reading it in the same snapshot as the update is safe
    const [first] = await this.#query(
      `WITH granted AS (${update} AND ${freeWithoutSlot} RETURNING ${returning})
       SELECT g.*, k.endpoint AS slot_endpoint, k.concurrency_key AS slot_key
       FROM (SELECT 1) AS one LEFT JOIN granted g ON true LEFT JOIN ${runs} k ON g.id IS NULL AND k.id = $1 AND k.concurrency_key IS NOT NULL`,
      args,
    );
    if (first!.id !== null) return first!;
    if (first!.slot_key === null) return null;
    const slotArgs = [...args];
    const sql = `${update} AND ${slotFree(this.#slots, "r", pgArg(slotArgs, now))} RETURNING ${returning}`;
    const [row] = await this.#withSlots(String(first!.slot_endpoint), String(first!.slot_key), async (client) => (await client.query(sql, slotArgs)).rows);
    return row ?? null;
  }

  /**
   * A transaction holding the lock of one endpoint's concurrency key: every
   * grant of its slots takes it, so two grants never count the same free slot.
   */
  #withSlots<T>(endpoint: string, key: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`durable-slots:${this.#name}:${endpoint}:${key}`]);
      return body(client);
    });
  }

  async releaseLease(runId: string, fence: number) {
    await this.#query(
      `WITH released AS (
         UPDATE ${this.#t.runs} SET lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
         WHERE id = $1 AND fence = $2 RETURNING id, status)
       SELECT pg_notify($4, id), (SELECT pg_notify($5, '') WHERE status IN ('running', 'waiting')) FROM released`,
      [runId, fence, Date.now(), this.#channels.run, this.#channels.due],
    );
  }

  async checkpoint(cp: Checkpoint) {
    const { columns, values } = patchColumns(cp.run);
    const args: unknown[] = [cp.runId, cp.fence, Date.now(), this.#channels.run, this.#channels.due];
    const arg = (value: unknown) => `$${args.push(value)}`;
    // A cancelled run keeps its fields (decided on the row as it is when the update locks it, so a
    // cancel that commits meanwhile is seen) but still records the outcome of the step in flight.
    const unlessCancelled = (column: string, value: string) => `${column} = CASE WHEN status = 'cancelled' THEN ${column} ELSE ${value} END`;
    const sets = [...columns.map((c, i) => unlessCancelled(c, arg(values[i]))), unlessCancelled("updated_at", "$3")];
    if (cp.releaseLease) sets.push("lease_owner = NULL", "lease_expires_at = NULL");
    const edit = cp.run.localsEdit;
    if (edit) sets.push(unlessCancelled("locals", editedLocals(edit, arg)));
    // numbered: only over an older checkpoint of this fence (see the header), a cancelled run's too
    const seq = cp.seq === undefined ? "" : ` AND checkpoint_seq < ${arg(cp.seq)}`;
    if (cp.seq !== undefined) sets.push(`checkpoint_seq = $${args.length}`);
    // an edit applies to the text it was made from only (see LocalsEdit); a cancelled run keeps its locals anyway
    const where = `id = $1 AND fence = $2${seq}${edit ? ` AND (status = 'cancelled' OR length(locals) = ${arg(edit.length)})` : ""}`;
    // Steps and waits are inserted FROM the run update's result: a stale fence yields no row, so no insert.
    const ctes = [`run AS (UPDATE ${this.#t.runs} SET ${sets.join(", ")} WHERE ${where} RETURNING status, concurrency_key)`];
    if (cp.step) {
      const row = stepValues(cp.step).map((v, i) => `${arg(v)}::${STEP_TYPES[i]}`);
      ctes.push(`step AS (INSERT INTO ${this.#t.steps} (${STEP_COLUMNS.join(", ")}) SELECT ${row.join(", ")} FROM run ${STEP_ON_CONFLICT})`);
    }
    if (cp.wait) {
      const row = waitValues(cp.wait).map((v, i) => `${arg(v)}::${WAIT_TYPES[i]}`);
      ctes.push(`wait AS (INSERT INTO ${this.#t.waits} (${WAIT_COLUMNS.join(", ")}) SELECT ${row.join(", ")} FROM run WHERE status <> 'cancelled' ${WAIT_ON_CONFLICT})`);
    }
    // Due work: a suspended run (its wake-up time may be earlier than anyone's timer), an orphaned running
    // one, or the runs queued for the concurrency slot just freed.
    const dueWhen = cp.releaseLease ? "status IN ('waiting', 'running') OR concurrency_key IS NOT NULL" : "status = 'waiting'";
    // A change waiters act on (see the header), or the step outcome kept for a cancelled run (a run page shows it).
    const changedWhen = isProgressOnly(cp) ? "status = 'cancelled'" : "true";
    const sql = `WITH ${ctes.join(", ")}
       SELECT status <> 'cancelled' AS accepted, (SELECT pg_notify($4, $1) WHERE ${changedWhen}), (SELECT pg_notify($5, '') WHERE ${dueWhen}) FROM run`;
    const { wait, matcher } = cp;
    const catchUp = wait !== undefined && matcher !== undefined;
    if (!cp.dueIfCompleted?.length && !catchUp) {
      const rows = await this.#query(sql, args);
      return rows.length > 0 ? rows[0]!.accepted === true : this.#appliedAlready(cp, (text, values) => this.#query(text, values));
    }
    return this.#transaction(async (client) => {
      // a wait's registration and sendEvents exclude each other per event name (shared here, exclusive there):
      // an event stored before we register is seen below, one stored after sees our wait
      if (catchUp) await client.query("SELECT pg_advisory_xact_lock_shared(hashtext($1))", [this.#eventLock(wait.event)]);
      const { rows } = await client.query(sql, args);
      if (rows.length === 0) return this.#appliedAlready(cp, async (text, values) => (await client.query(text, values)).rows);
      if (rows[0]!.accepted !== true) return false;
      if (catchUp) await this.#catchUp(client, wait, matcher);
      // A second statement takes a fresh snapshot: it sees a resolveWait that committed while
      // the update above waited for the run's row lock (a CTE of the same statement would not).
      await client.query(
        `UPDATE ${this.#t.runs} SET wake_at = $2 WHERE id = $1 AND status = 'waiting' AND EXISTS (
           SELECT 1 FROM ${this.#t.steps} WHERE run_id = $1 AND id = ANY($3::text[]) AND status = 'completed')
         RETURNING pg_notify($4, '')`,
        [cp.runId, Date.now(), cp.dueIfCompleted, this.#channels.due],
      );
      return true;
    });
  }

  /**
   * A numbered checkpoint that wrote nothing: was it applied already, under this fence (an earlier attempt whose
   * answer was lost)? Then it answers as that attempt did. A separate statement, so only this rare path pays
   * for it: its fresh snapshot sees an attempt that committed while ours waited for the run's row lock.
   */
  async #appliedAlready(cp: Checkpoint, query: (sql: string, values: unknown[]) => Promise<QueryResultRow[]>): Promise<boolean> {
    if (cp.seq === undefined) return false;
    const [row] = await query(`SELECT status <> 'cancelled' AS accepted FROM ${this.#t.runs} WHERE id = $1 AND fence = $2 AND checkpoint_seq = $3`, [
      cp.runId, cp.fence, cp.seq,
    ]);
    return row?.accepted === true;
  }

  async getStep(runId: string, stepId: string) {
    const [row] = await this.#query(`SELECT * FROM ${this.#t.steps} WHERE run_id = $1 AND id = $2`, [runId, stepId]);
    return row ? stepFromRow(row) : null;
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    const rows = await this.#query(`SELECT * FROM ${this.#t.steps} WHERE run_id = $1 ORDER BY started_at, seq`, [runId]);
    return rows.map(stepFromRow);
  }

  async claimDue(endpoints: readonly string[], owner: string, ttlMs: number, now: number, limit: number) {
    if (endpoints.length === 0 || limit <= 0) return [];
    const { runs } = this.#t;
    const claim = (only: string) =>
      `WITH due AS (
         SELECT id FROM ${runs} c
         WHERE endpoint = ANY($1::text[]) AND NOT ${leaseLive("c")}
           AND (status = 'running' OR (status = 'waiting' AND wake_at <= $2)) AND ${only}
         ORDER BY coalesce(wake_at, lease_expires_at, 0), seq LIMIT $3
         FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE ${runs} r SET lease_owner = $4, lease_expires_at = $5, lease_until = ${SERVER_NOW} + $7, fence = r.fence + 1, checkpoint_seq = 0, updated_at = $2
         FROM due WHERE r.id = due.id RETURNING r.*)
       SELECT claimed.*, pg_notify($6, claimed.id) FROM claimed`;
    const base = [endpoints, now, limit, owner, now + ttlMs, this.#channels.run, ttlMs];
    const claimed = await this.#query(claim("concurrency_key IS NULL"), base);
    // runs under a concurrency limit: key by key, each under its lock, the queue head while slots are free
    const keys = await this.#query(
      `SELECT DISTINCT c.endpoint, c.concurrency_key FROM ${runs} c WHERE c.endpoint = ANY($1::text[]) AND c.concurrency_key IS NOT NULL
         AND ${dueAndFree(this.#slots, "c", () => "$2")} AND ${slotFree(this.#slots, "c", () => "$2")} LIMIT $3`,
      [endpoints, now, limit],
    );
    for (const { endpoint, concurrency_key: key } of keys) {
      if (claimed.length >= limit) break;
      const args = [[endpoint], now, limit - claimed.length, owner, now + ttlMs, this.#channels.run, ttlMs, key];
      const only = `concurrency_key = $8 AND ${slotFree(this.#slots, "c", () => "$2")}`;
      claimed.push(...(await this.#withSlots(String(endpoint), String(key), async (client) => (await client.query(claim(only), args)).rows)));
    }
    return claimed.map(runFromRow);
  }

  async nextWakeAt(endpoints: readonly string[], after: number) {
    if (endpoints.length === 0) return null;
    const [row] = await this.#query(
      `SELECT min(wake_at) AS at FROM ${this.#t.runs} WHERE status = 'waiting' AND wake_at > $2 AND endpoint = ANY($1::text[])`,
      [endpoints, after],
    );
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  async sendEvents(events: readonly EventRecord[], matcher: EventMatcher, now: number) {
    if (events.length === 0) return [];
    const { events: table } = this.#t;
    const ids = events.map((e) => e.id);
    return this.#transaction(async (client) => {
      for (const name of [...new Set(events.map((e) => e.name))].sort()) {
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [this.#eventLock(name)]);
      }
      await client.query(
        `INSERT INTO ${table} (${EVENT_COLUMNS.join(", ")}) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
         ON CONFLICT (id) DO NOTHING`,
        [ids, events.map((e) => e.name), events.map((e) => e.data), events.map((e) => e.ts)],
      );
      // a duplicate id: its stored copy is delivered (again)
      const stored = new Map((await client.query(`SELECT * FROM ${table} WHERE id = ANY($1::text[])`, [ids])).rows.map((row) => [String(row.id), eventFromRow(row)]));
      const resolved = new Map<string, { runId: string; stepId: string; output: string }>();
      for (const id of ids) {
        const event = stored.get(id)!;
        for (const row of await this.#candidates(client, event, matcher)) {
          const key = `${row.run_id}\u0000${row.step_id}`;
          if (resolved.has(key)) continue;
          const output = matcher.accept(waitFromRow(row), { trigger: String(row.trigger_data), createdAt: Number(row.created_at) }, event);
          if (output !== null) resolved.set(key, { runId: String(row.run_id), stepId: String(row.step_id), output });
        }
      }
      return this.#resolveMany(client, [...resolved.values()], now);
    });
  }

  /** Open waits (with their run's trigger) the event may satisfy: by name, `since`, match path and key — by index only. */
  async #candidates(client: PoolClient, event: EventRecord, matcher: EventMatcher): Promise<QueryResultRow[]> {
    const { waits, runs } = this.#t;
    const candidates = `SELECT w.*, r.trigger_data, r.created_at FROM ${waits} w JOIN ${runs} r ON r.id = w.run_id WHERE w.event = $1 AND w.since <= $2`;
    const found = (await client.query(`${candidates} AND w.match IS NULL`, [event.name, event.ts])).rows;
    // the distinct match paths of this event's waits, by index skips
    const paths = await client.query<{ match: string }>(
      `WITH RECURSIVE paths(match) AS (
         SELECT (SELECT match FROM ${waits} WHERE event = $1 AND match IS NOT NULL ORDER BY match LIMIT 1)
         UNION ALL
         SELECT (SELECT w.match FROM ${waits} w WHERE w.event = $1 AND w.match > p.match ORDER BY w.match LIMIT 1) FROM paths p WHERE p.match IS NOT NULL)
       SELECT match FROM paths WHERE match IS NOT NULL`,
      [event.name],
    );
    for (const { match } of paths.rows) {
      const key = matcher.key(event, match);
      if (key !== null) found.push(...(await client.query(`${candidates} AND w.match = $3 AND w.match_key = $4`, [event.name, event.ts, match, key])).rows);
    }
    return found;
  }

  /** A wait just registered: an event stored since it began (sent while it was in flight) resolves it now. */
  async #catchUp(client: PoolClient, wait: WaitRecord, matcher: EventMatcher): Promise<void> {
    const { rows: [run] } = await client.query(`SELECT trigger_data, created_at FROM ${this.#t.runs} WHERE id = $1`, [wait.runId]);
    const { rows } = await client.query(`SELECT * FROM ${this.#t.events} WHERE name = $1 AND ts >= $2 ORDER BY ts, id`, [wait.event, wait.since]);
    for (const row of rows) {
      const output = matcher.accept(wait, { trigger: String(run!.trigger_data), createdAt: Number(run!.created_at) }, eventFromRow(row));
      if (output !== null) return void (await this.#resolveMany(client, [{ runId: wait.runId, stepId: wait.stepId, output }], Date.now()));
    }
  }

  /** Resolves open waits in one statement (see resolveWait); returns the runs of those it resolved. */
  async #resolveMany(client: PoolClient, resolved: { runId: string; stepId: string; output: string }[], now: number): Promise<string[]> {
    if (resolved.length === 0) return [];
    const { runs, steps, waits } = this.#t;
    const runIds = resolved.map((r) => r.runId);
    // lock the runs first (in id order), as checkpoints lock a run before its steps and waits: no deadlock
    await client.query(`SELECT 1 FROM ${runs} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [runIds]);
    const { rows } = await client.query(
      `WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS i(run_id, step_id, output)),
       deleted AS (DELETE FROM ${waits} w USING input i WHERE w.run_id = i.run_id AND w.step_id = i.step_id RETURNING w.run_id, w.step_id),
       completed AS (UPDATE ${steps} s SET status = 'completed', output = i.output, wake_at = NULL, updated_at = $4
         FROM deleted d JOIN input i ON i.run_id = d.run_id AND i.step_id = d.step_id WHERE s.run_id = d.run_id AND s.id = d.step_id),
       woken AS (UPDATE ${runs} r SET wake_at = $4, updated_at = $4 WHERE r.id IN (SELECT run_id FROM deleted) AND r.status = 'waiting')
       SELECT d.run_id, pg_notify($5, d.run_id), pg_notify($6, '') FROM deleted d`,
      [runIds, resolved.map((r) => r.stepId), resolved.map((r) => r.output), now, this.#channels.run, this.#channels.due],
    );
    return rows.map((row) => String(row.run_id));
  }

  /** The advisory lock key that orders event delivery and wait registration for one event name. */
  #eventLock(name: string): string {
    return `durable-events:${this.#name}:${name}`;
  }

  async pruneEvents(olderThan: number) {
    const { events, waits, runs } = this.#t;
    // the earliest beginning of a wait, saved or in flight in a running run: events from then on stay
    const pruned = await this.#query(
      `DELETE FROM ${events} WHERE ts < LEAST($1::bigint, (SELECT min(since) FROM ${waits}), (SELECT min(created_at) FROM ${runs} WHERE status = 'running')) RETURNING 1`,
      [olderThan],
    );
    return pruned.length;
  }

  async findWaits(eventName: string, ts: number): Promise<WaitRecord[]> {
    const rows = await this.#query(`SELECT * FROM ${this.#t.waits} WHERE event = $1 AND since <= $2 ORDER BY since, run_id`, [eventName, ts]);
    return rows.map(waitFromRow);
  }

  async resolveWait(runId: string, stepId: string, output: string, now: number) {
    return this.#transaction(async (client) => (await this.#resolveMany(client, [{ runId, stepId, output }], now)).length > 0);
  }

  waitForChange(runId: string, signal: AbortSignal) {
    if (this.#closed) return Promise.resolve();
    return this.#hub.waitForChange(runId, signal, undefined);
  }

  onDue(listener: () => void) {
    return this.#hub.onDue(listener);
  }

  async beginStream(runId: string, fence: number, head: string) {
    const { runs, streams, chunks } = this.#t;
    // FOR SHARE: a lease taken meanwhile (a new fence) waits for this statement to commit
    const [row] = await this.#query(
      `WITH run AS (SELECT id FROM ${runs} WHERE id = $1 AND fence = $2 AND status = 'running' FOR SHARE),
       gone AS (DELETE FROM ${chunks} WHERE run_id = $1 AND EXISTS (SELECT 1 FROM run)),
       stream AS (
         INSERT INTO ${streams} AS s (run_id, generation, head, size) SELECT id, 1, $3, 0 FROM run
         ON CONFLICT (run_id) DO UPDATE SET generation = s.generation + 1, head = excluded.head, size = 0
         RETURNING generation)
       SELECT generation, pg_notify($4, $1) FROM stream`,
      [runId, fence, head, this.#channels.run],
    );
    return row ? Number(row.generation) : null;
  }

  async appendStream(runId: string, fence: number, generation: number, offset: number, data: Uint8Array) {
    const { runs, streams, chunks } = this.#t;
    const rows = await this.#query(
      `WITH run AS (SELECT id FROM ${runs} WHERE id = $1 AND fence = $2 AND status = 'running' FOR SHARE),
       grown AS (
         UPDATE ${streams} SET size = size + $5 WHERE run_id = $1 AND generation = $3 AND size = $4 AND EXISTS (SELECT 1 FROM run)
         RETURNING run_id),
       chunk AS (INSERT INTO ${chunks} (run_id, generation, byte_offset, data) SELECT run_id, $3, $4, $6 FROM grown)
       SELECT pg_notify($7, $1) FROM grown`,
      [runId, fence, generation, offset, data.byteLength, asBuffer(data), this.#channels.run],
    );
    return rows.length > 0;
  }

  async getStream(runId: string): Promise<StreamRecord | null> {
    const [row] = await this.#query(`SELECT generation, head, size FROM ${this.#t.streams} WHERE run_id = $1`, [runId]);
    return row ? { runId, generation: Number(row.generation), head: String(row.head), size: Number(row.size) } : null;
  }

  async readStream(runId: string, generation: number, from: number, limit: number): Promise<StreamChunk[]> {
    const { chunks } = this.#t;
    const rows = await this.#query(
      `SELECT byte_offset, data FROM ${chunks} WHERE run_id = $1 AND generation = $2 AND byte_offset >= coalesce(
         (SELECT max(byte_offset) FROM ${chunks} WHERE run_id = $1 AND generation = $2 AND byte_offset <= $3), 0)
       ORDER BY byte_offset LIMIT $4`,
      [runId, generation, from, limit],
    );
    const found = rows.map((r) => ({ offset: Number(r.byte_offset), data: r.data as Uint8Array }));
    const last = found.at(-1);
    return last && last.offset + last.data.byteLength > from ? found : [];
  }

  async getOrSetMeta(key: string, value: string) {
    const { meta } = this.#t;
    // read first: every new client asks (for the signing key), and it is there but once
    const [stored] = await this.#query(`SELECT value FROM ${meta} WHERE key = $1`, [key]);
    if (stored) return String(stored.value);
    await this.#query(`INSERT INTO ${meta} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, value]);
    // A separate statement: it must see a value a concurrent caller committed while we waited on the conflict.
    const [row] = await this.#query(`SELECT value FROM ${meta} WHERE key = $1`, [key]);
    return String(row!.value);
  }

  async cancelRun(runId: string, result: string, now: number) {
    const { runs, waits } = this.#t;
    return this.#transaction(async (client) => {
      const { rows: [cancelled] } = await client.query(
        `UPDATE ${runs} SET status = 'cancelled', result = $2, wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
         WHERE id = $1 AND status IN ('running', 'waiting')
         RETURNING *, pg_notify($4, id), (SELECT pg_notify($5, '') WHERE concurrency_key IS NOT NULL)`,
        [runId, result, now, this.#channels.run, this.#channels.due],
      );
      if (!cancelled) return this.#unchanged(client, runId);
      await client.query(`DELETE FROM ${waits} WHERE run_id = $1`, [runId]);
      return { run: runFromRow(cancelled), changed: true };
    });
  }

  async retryRun(runId: string, now: number) {
    const { runs, steps } = this.#t;
    return this.#transaction(async (client) => {
      const { rows: [retried] } = await client.query(
        `UPDATE ${runs} SET status = 'waiting', result = NULL, wake_at = $2, lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
         WHERE id = $1 AND status = 'failed' RETURNING *, pg_notify($3, id), pg_notify($4, '')`,
        [runId, now, this.#channels.run, this.#channels.due],
      );
      if (!retried) return this.#unchanged(client, runId);
      await client.query(`UPDATE ${steps} SET status = 'retrying', attempts = 0, wake_at = NULL, updated_at = $2 WHERE run_id = $1 AND status = 'failed'`, [runId, now]);
      return { run: runFromRow(retried), changed: true };
    });
  }

  /** A run control call that changed nothing: the run as it is, or null when there is none. */
  async #unchanged(client: PoolClient, runId: string): Promise<RunChange | null> {
    const { rows: [row] } = await client.query(`SELECT * FROM ${this.#t.runs} WHERE id = $1`, [runId]);
    return row ? { run: runFromRow(row), changed: false } : null;
  }

  async listRuns(options: ListRunsOptions = {}) {
    const dialect: ListRunsDialect = { runs: this.#t.runs, order: "seq", placeholder: pgParam, colonIn: "strpos(idempotency_key, ':')" };
    let cursor: RunCursor | null = null;
    if (options.after !== undefined) {
      const [row] = await this.#query(cursorSql(dialect), [options.after]);
      if (!row) return [];
      cursor = { createdAt: Number(row.created_at), order: String(row.position) };
    }
    const { sql, values } = listRunsSql(options, cursor, dialect);
    return (await this.#query(sql, values)).map(runFromRow);
  }

  async listWaits(runId: string): Promise<WaitRecord[]> {
    return (await this.#query(`SELECT * FROM ${this.#t.waits} WHERE run_id = $1 ORDER BY since, step_id`, [runId])).map(waitFromRow);
  }

  async wakeRun(runId: string, now: number) {
    const { runs, steps } = this.#t;
    return this.#transaction(async (client) => {
      // Lock the run first, as checkpoints do: a claim or a checkpoint cannot interleave.
      const run = await client.query(
        `SELECT 1 FROM ${runs} r WHERE id = $1 AND status = 'waiting' AND NOT ${leaseLive("r")} FOR UPDATE`,
        [runId],
      );
      if (run.rowCount === 0) return false;
      const woken = await client.query(`UPDATE ${steps} SET wake_at = $2, updated_at = $2 WHERE run_id = $1 AND wake_at > $2 AND ${WAKEABLE_STEPS}`, [runId, now]);
      if (woken.rowCount === 0) return false;
      await client.query(`UPDATE ${runs} SET wake_at = $2, updated_at = $2 WHERE id = $1`, [runId, now]);
      await client.query("SELECT pg_notify($1, $2), pg_notify($3, '')", [this.#channels.run, runId, this.#channels.due]);
      return true;
    });
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    // Our sockets are unref'd (idle, they keep no process alive), but ending them is work the caller
    // awaits: held meanwhile, or a process could exit with `await store.close()` unfinished (code 13).
    const hold = setInterval(() => {}, 60_000);
    try {
      await this.#listener.stop();
      this.#hub.wakeAll();
      const pool = await this.#pool?.catch(() => undefined);
      await pool?.end();
    } finally {
      clearInterval(hold);
    }
  }

  async #query(sql: string, values: readonly unknown[]): Promise<QueryResultRow[]> {
    const pool = await this.#ready();
    try {
      return (await pool.query(sql, values as unknown[])).rows;
    } catch (error) {
      throw classify(error);
    }
  }

  async #transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    const pool = await this.#ready();
    try {
      return await withClient(pool, async (client) => {
        await client.query("BEGIN");
        try {
          const result = await body(client);
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        }
      });
    } catch (error) {
      throw classify(error);
    }
  }

  /** The pool, with the schema migrated. A failed start (database down) is retried by the next call. */
  #ready(): Promise<Pool> {
    if (this.#closed) return Promise.reject(new Error(`Postgres store (schema "${this.#name}") is closed`));
    this.#pool ??= this.#start().catch((error) => {
      this.#pool = undefined;
      throw classify(error);
    });
    return this.#pool;
  }

  async #start(): Promise<Pool> {
    const { Pool } = await this.#driver();
    const pool = new Pool({
      connectionString: this.#options.connectionString,
      max: this.#options.max ?? 10,
      connectionTimeoutMillis: 10_000,
      // Idle connections must not keep a process alive that is otherwise done.
      allowExitOnIdle: true,
    });
    // Idle clients die when Postgres restarts; the pool drops them and the next call reconnects.
    pool.on("error", () => {});
    try {
      await withClient(pool, (client) => migrate(client, `"${this.#name}"`, this.#name));
      return pool;
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
  }

  async #listenerClient(): Promise<Client> {
    const { Client } = await this.#driver();
    const client = new Client({ connectionString: this.#options.connectionString, keepAlive: true });
    // Listen before connecting: a restart's FATAL can arrive right behind ReadyForQuery (see withClient).
    client.on("error", () => {});
    await client.connect();
    // Like our timers, the listening socket alone must not keep the process alive.
    (client as unknown as { connection?: { stream?: { unref?(): void } } }).connection?.stream?.unref?.();
    return client;
  }

  #driver(): Promise<PgModule> {
    // pg is CommonJS: `default` is its module.exports under every loader.
    this.#pg ??= import("pg").then((mod) => mod.default);
    return this.#pg;
  }
}

/**
 * Runs `body` on a checked-out client. pg leaves a checked-out client without an 'error' listener, so
 * a server restart would crash the process — even between `pool.connect()` resolving and our first
 * line running: a FATAL message can arrive in the same network chunk as the connection's
 * ReadyForQuery. So we listen inside pg's own (synchronous) callback, and a client that saw any error
 * is destroyed instead of going back to the pool.
 */
async function withClient<T>(pool: Pool, body: (client: PoolClient) => Promise<T>): Promise<T> {
  let failed = false;
  const onError = () => (failed = true);
  const client = await new Promise<PoolClient>((resolve, reject) =>
    pool.connect((error, connected) => {
      if (error || !connected) return reject(error);
      connected.on("error", onError);
      resolve(connected);
    }),
  );
  try {
    return await body(client);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    client.off("error", onError);
    client.release(failed);
  }
}

/**
 * A checkpoint that only records progress: the run keeps running under its lease and its status,
 * wake-up time and result stay as they are (a step's outcome, the saved locals, the step count).
 */
const isProgressOnly = (cp: Checkpoint) =>
  !cp.releaseLease && cp.run.status === undefined && cp.run.wakeAt === undefined && cp.run.result === undefined;

/** pg sends a Buffer as bytea (a Buffer is a Uint8Array: no copy). */
const asBuffer = (data: Uint8Array) => (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));

/** A placeholder factory that appends `value` to `args` for each `$n` it writes. */
const pgArg = (args: unknown[], value: unknown) => () => `$${args.push(value)}`;

/** `$from, …, $(from+count-1)` */
function params(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `$${from + i}`).join(", ");
}

/** `postgres://…/db?schema=app1` → "app1" (pg ignores parameters it does not know). */
function schemaParam(connectionString: string): string | undefined {
  try {
    return new URL(connectionString).searchParams.get("schema") ?? undefined;
  } catch {
    return undefined; // not a URL (e.g. a libpq keyword string): pg parses it
  }
}
