/**
 * The embedded store: one SQLite file, shared safely by several processes on
 * one machine.
 *
 * - WAL journal: readers never block the writer and the writer never blocks
 *   readers, so long-polls and running steps do not contend.
 * - `synchronous=NORMAL`: in WAL mode a commit is durable against a *process*
 *   crash (SIGKILL, OOM, uncaught error) — the WAL is in the OS page cache —
 *   and only the last commits can be lost on power loss or an OS crash. Our
 *   failure model is a dying process, so we skip the fsync per checkpoint.
 * - `busy_timeout`: a writer from another process waits instead of failing.
 * - Every write is one transaction (`BEGIN IMMEDIATE`); a checkpoint writes
 *   its run, step and wait together or not at all.
 * - Other processes' commits are seen by polling `PRAGMA data_version` on an
 *   unref'd timer, only while `waitForChange`/`onDue` listeners exist.
 *
 * The file is opened on first use, not when `sqliteStore()` is called, so a
 * store created at import time (e.g. while Next.js builds) does no I/O.
 */
import type { Checkpoint, EventMatcher, EventRecord, ListRunsOptions, RunRecord, StepRecord, Store, StreamChunk, StreamRecord, WaitRecord } from "../store.js";
import { ChangeHub } from "./change-hub.js";
import { dueAndFree, queuedForm, slotFree, type SlotDialect } from "./sql-concurrency.js";
import { cursorSql, listRunsSql, WAKEABLE_STEPS, type ListRunsDialect, type RunCursor } from "./sql-inspection.js";
import {
  EVENT_COLUMNS, RUN_COLUMNS, STEP_COLUMNS, STEP_ON_CONFLICT, WAIT_COLUMNS, WAIT_ON_CONFLICT, editedLocals, eventFromRow, eventValues, patchColumns,
  runFromRow, runValues, stepFromRow, stepValues, waitFromRow, waitValues,
} from "./sql-rows.js";
import { openSqlite, type SqliteDb } from "./sqlite-driver.js";
import { migrate } from "./sqlite-schema.js";

export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. `":memory:"` for a private in-memory database. */
  path: string;
  /**
   * How often to look for other processes' commits while someone listens (default 10 ms: a commit in
   * another process wakes a waiter here 5 ms later on average; one `PRAGMA data_version` read per tick).
   */
  pollMs?: number;
  /** How long a write waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

const DEFAULT_POLL_MS = 10;

export function sqliteStore(options: SqliteStoreOptions): Store {
  return new SqliteStore(options);
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");
const INSERT_RUN = `INSERT INTO runs (${RUN_COLUMNS.join(", ")}) VALUES (${placeholders(RUN_COLUMNS.length)})
  ON CONFLICT (endpoint, idempotency_key) DO NOTHING`;
const UPSERT_STEP = `INSERT INTO steps (${STEP_COLUMNS.join(", ")}) VALUES (${placeholders(STEP_COLUMNS.length)}) ${STEP_ON_CONFLICT}`;
const UPSERT_WAIT = `INSERT INTO waits (${WAIT_COLUMNS.join(", ")}) VALUES (${placeholders(WAIT_COLUMNS.length)}) ${WAIT_ON_CONFLICT}`;
/** Makes a suspended run due now when one of the waits it suspends on already completed (see Checkpoint.dueIfCompleted). */
const DUE_IF_COMPLETED = `UPDATE runs SET wake_at = ? WHERE id = ? AND EXISTS (
  SELECT 1 FROM steps WHERE run_id = ? AND id IN (SELECT value FROM json_each(?)) AND status = 'completed') RETURNING wake_at`;
/** Open waits with their run's trigger: the candidates of an event (by name and `since`; more conditions appended). */
const CANDIDATES = `SELECT w.*, r.trigger_data, r.created_at FROM waits w JOIN runs r ON r.id = w.run_id WHERE w.event = ? AND w.since <= ?`;
/** The distinct match paths of an event's waits, by index skips (never a read of all its waits). */
const MATCH_PATHS = `WITH RECURSIVE paths(match) AS (
  SELECT (SELECT match FROM waits WHERE event = ? AND match IS NOT NULL ORDER BY match LIMIT 1)
  UNION ALL
  SELECT (SELECT match FROM waits WHERE event = ? AND match > paths.match ORDER BY match LIMIT 1) FROM paths WHERE paths.match IS NOT NULL
) SELECT match FROM paths WHERE match IS NOT NULL`;
const CANCELLED_UNDER_FENCE = "SELECT 1 FROM runs WHERE id = ? AND fence = ? AND status = 'cancelled'";
/** A lease is free when released or expired (parameter: now). */
const LEASE_FREE = "(lease_expires_at IS NULL OR lease_expires_at <= ?)";
/** Endpoint filter over a JSON array parameter: one cached statement for any number of endpoints. */
const IN_ENDPOINTS = "endpoint IN (SELECT value FROM json_each(?))";
const SLOTS: SlotDialect = { runs: "runs", order: "rowid", leaseLive: (r, now) => `coalesce(${r}.lease_expires_at > ${now()}, false)` };
const LIST_RUNS: ListRunsDialect = { runs: "runs", order: "rowid", placeholder: () => "?", colonIn: "instr(idempotency_key, ':')" };

/** The run fields a checkpoint acts on once committed (due work, catch-up), read back after its update. */
interface WrittenRun {
  status: string;
  wake_at: number | null;
  concurrency_key: string | null;
}
/** What a checkpoint that only records progress needs to know of its run: nothing became due. */
const PROGRESS: WrittenRun = { status: "running", wake_at: null, concurrency_key: null };

/** A placeholder factory that appends `value` to `values` for each `?` it writes (in text order). */
const at = (values: unknown[], value: unknown) => () => (values.push(value), "?");

/** better-sqlite3 binds a BLOB from a Buffer only (a Buffer is a Uint8Array: no copy). */
const asBuffer = (data: Uint8Array) => (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));

class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly localsEdits = true;
  readonly #options: SqliteStoreOptions;
  /** Waiter tokens are the run's `rev` when the waiter subscribed. */
  readonly #hub = new ChangeHub<number>((active) => this.#watch(active));
  #opening: Promise<SqliteDb> | undefined;
  #db: SqliteDb | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #dataVersion = 0;

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
  }

  async createRun(run: RunRecord) {
    const db = await this.#open();
    const limited = run.concurrency !== null && run.leaseOwner !== null;
    const inserted = await db.write(() => {
      if (!limited) return db.run(INSERT_RUN, runValues(run)) > 0 && "inserted";
      // queued first: then it takes the lease only if a slot is free for it, in one transaction
      if (db.run(INSERT_RUN, runValues(queuedForm(run))) === 0) return false;
      const values: unknown[] = [run.status, run.wakeAt, run.leaseOwner, run.leaseExpiresAt, run.id];
      const sql = `UPDATE runs AS r SET status = ?, wake_at = ?, lease_owner = ?, lease_expires_at = ? WHERE id = ? AND ${slotFree(SLOTS, "r", at(values, run.createdAt))}`;
      return db.run(sql, values) > 0 ? "leased" : "queued";
    });
    if (inserted) {
      this.#hub.runChanged(run.id);
      // queued: due work (as everywhere, for a slot freed in the meantime)
      if (inserted === "queued") this.#hub.due();
      // inserted as given: the stored run is `run` (no read back)
      return { created: true as const, run: inserted === "inserted" ? { ...run } : this.#getRun(db, run.id)! };
    }
    const existing = db.get("SELECT * FROM runs WHERE endpoint = ? AND idempotency_key = ?", [run.endpoint, run.idempotencyKey]);
    if (!existing) throw new Error(`run ${run.id} already exists`);
    return { created: false as const, run: runFromRow(existing) };
  }

  async getRun(runId: string) {
    return this.#getRun(await this.#open(), runId);
  }

  async acquireLease(runId: string, owner: string, ttlMs: number, now: number) {
    const db = await this.#open();
    const values: unknown[] = [owner, now + ttlMs, now, runId, now];
    const row = await db.write(() =>
      db.get(
        `UPDATE runs AS r SET lease_owner = ?, lease_expires_at = ?, fence = fence + 1, rev = rev + 1, updated_at = ?
         WHERE id = ? AND status IN ('running', 'waiting') AND ${LEASE_FREE} AND ${slotFree(SLOTS, "r", at(values, now))} RETURNING *`,
        values,
      ),
    );
    if (!row) return null;
    this.#hub.runChanged(runId);
    return runFromRow(row);
  }

  async renewLease(runId: string, fence: number, ttlMs: number, now: number) {
    const db = await this.#open();
    // Not a change anyone waits for: no rev bump, no notification. A lease that expired meanwhile needs a free slot.
    const values: unknown[] = [now + ttlMs, runId, fence, now];
    const sql = `UPDATE runs AS r SET lease_expires_at = ? WHERE id = ? AND fence = ? AND lease_owner IS NOT NULL
      AND (lease_expires_at > ? OR ${slotFree(SLOTS, "r", at(values, now))})`;
    return (await db.write(() => db.run(sql, values))) > 0;
  }

  async releaseLease(runId: string, fence: number) {
    const db = await this.#open();
    const row = await db.write(() =>
      db.get<{ status: string }>(
        `UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL, rev = rev + 1, updated_at = ?
         WHERE id = ? AND fence = ? RETURNING status`,
        [Date.now(), runId, fence],
      ),
    );
    if (!row) return;
    this.#hub.runChanged(runId);
    if (row.status === "running" || row.status === "waiting") this.#hub.due();
  }

  async checkpoint(cp: Checkpoint) {
    const db = await this.#open();
    const { columns, values } = patchColumns(cp.run);
    const sets = [...columns.map((c) => `${c} = ?`), "rev = rev + 1", "updated_at = ?"];
    values.push(Date.now());
    if (cp.releaseLease) sets.push("lease_owner = NULL", "lease_expires_at = NULL");
    const edit = cp.run.localsEdit;
    if (edit) sets.push(`locals = ${editedLocals(edit, (value) => (values.push(value), "?"))}`);
    values.push(cp.runId, cp.fence);
    // an edit applies to the text it was made from only (see LocalsEdit)
    const where = `id = ? AND fence = ? AND status <> 'cancelled'${edit ? ` AND length(locals) = ${(values.push(edit.length), "?")}` : ""}`;
    // Nothing the scheduler acts on changes (a step's outcome while the run keeps running): the run row is not read
    // back (RETURNING alone doubled the cost of the update).
    const progressOnly = !cp.releaseLease && cp.run.status === undefined && cp.run.wakeAt === undefined && !cp.wait && !cp.dueIfCompleted?.length;
    const written = await db.write(() => {
      // The fenced run update goes first: a stale writer fails here, before writing anything else.
      const updated = db.run(`UPDATE runs SET ${sets.join(", ")} WHERE ${where}`, values) > 0;
      const row = !updated ? undefined : progressOnly ? PROGRESS : db.get<WrittenRun>("SELECT status, wake_at, concurrency_key FROM runs WHERE id = ?", [cp.runId])!;
      if (!row) {
        // a cancelled run keeps the outcome of the step attempt that was in flight, and nothing else;
        // its rev moves, so whoever watches the run (another process too) sees the step
        if (cp.step && db.get(CANCELLED_UNDER_FENCE, [cp.runId, cp.fence])) {
          db.run(UPSERT_STEP, stepValues(cp.step));
          db.run("UPDATE runs SET rev = rev + 1 WHERE id = ?", [cp.runId]);
          return "kept-step" as const;
        }
        return undefined;
      }
      if (cp.step) db.run(UPSERT_STEP, stepValues(cp.step));
      if (cp.wait) db.run(UPSERT_WAIT, waitValues(cp.wait));
      // BEGIN IMMEDIATE serializes us with sendEvents: an event it stored before sees no wait, we see it
      if (cp.wait && cp.matcher && this.#catchUp(db, cp.wait, cp.matcher) && row.status === "waiting") row.wake_at = Date.now();
      if (row.status === "waiting" && cp.dueIfCompleted?.length) {
        // BEGIN IMMEDIATE serializes us with resolveWait: a wait it completed earlier is visible here.
        const due = db.get<{ wake_at: number }>(DUE_IF_COMPLETED, [Date.now(), cp.runId, cp.runId, JSON.stringify(cp.dueIfCompleted)]);
        if (due) row.wake_at = due.wake_at;
      }
      return row;
    });
    if (written) this.#hub.runChanged(cp.runId);
    if (!written || written === "kept-step") return false;
    // due work: a suspended run, an orphaned running one, or the runs queued for the slot just freed
    const freed = cp.releaseLease && (written.status === "running" || written.concurrency_key !== null);
    if ((written.status === "waiting" && written.wake_at !== null) || freed) this.#hub.due();
    return true;
  }

  async getStep(runId: string, stepId: string) {
    const row = (await this.#open()).get("SELECT * FROM steps WHERE run_id = ? AND id = ?", [runId, stepId]);
    return row ? stepFromRow(row) : null;
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    const rows = (await this.#open()).all("SELECT * FROM steps WHERE run_id = ? ORDER BY started_at, rowid", [runId]);
    return rows.map(stepFromRow);
  }

  async claimDue(endpoints: readonly string[], owner: string, ttlMs: number, now: number, limit: number) {
    if (endpoints.length === 0 || limit <= 0) return [];
    const db = await this.#open();
    // One statement, one write transaction: two processes can never claim the same run, nor one slot twice.
    // The slots are judged before any claim (a subquery): the runs that pass are each key's queue head.
    const values: unknown[] = [owner, now + ttlMs, now, JSON.stringify(endpoints)];
    const sql = `UPDATE runs SET lease_owner = ?, lease_expires_at = ?, fence = fence + 1, rev = rev + 1, updated_at = ?
       WHERE id IN (
         SELECT id FROM runs c
         WHERE ${IN_ENDPOINTS} AND ${dueAndFree(SLOTS, "c", at(values, now))} AND ${slotFree(SLOTS, "c", at(values, now))}
         ORDER BY coalesce(wake_at, lease_expires_at, 0), rowid LIMIT ${at(values, limit)()}
       ) RETURNING *`;
    const rows = await db.write(() => db.all(sql, values));
    const runs = rows.map(runFromRow);
    for (const run of runs) this.#hub.runChanged(run.id);
    return runs;
  }

  async nextWakeAt(endpoints: readonly string[], after: number) {
    if (endpoints.length === 0) return null;
    const row = (await this.#open()).get<{ at: number | null }>(
      `SELECT min(wake_at) AS at FROM runs WHERE status = 'waiting' AND wake_at > ? AND ${IN_ENDPOINTS}`,
      [after, JSON.stringify(endpoints)],
    );
    return row?.at ?? null;
  }

  async sendEvents(events: readonly EventRecord[], matcher: EventMatcher, now: number) {
    const db = await this.#open();
    const woken = await db.write(() => {
      const resolved: string[] = [];
      for (const sent of events) {
        db.run(`INSERT INTO events (${EVENT_COLUMNS.join(", ")}) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, eventValues(sent));
        // a duplicate id: its stored copy is delivered (again)
        const event = eventFromRow(db.get("SELECT * FROM events WHERE id = ?", [sent.id])!);
        const candidates = db.all(`${CANDIDATES} AND w.match IS NULL`, [event.name, event.ts]);
        for (const { match } of db.all<{ match: string }>(MATCH_PATHS, [event.name, event.name])) {
          const key = matcher.key(event, match);
          if (key !== null) candidates.push(...db.all(`${CANDIDATES} AND w.match = ? AND w.match_key = ?`, [event.name, event.ts, match, key]));
        }
        for (const row of candidates) {
          const output = matcher.accept(waitFromRow(row), { trigger: String(row.trigger_data), createdAt: Number(row.created_at) }, event);
          if (output !== null && this.#resolve(db, String(row.run_id), String(row.step_id), output, now)) resolved.push(String(row.run_id));
        }
      }
      return resolved;
    });
    for (const runId of woken) this.#hub.runChanged(runId);
    if (woken.length > 0) this.#hub.due();
    return woken;
  }

  /** A wait just registered: an event stored since it began (sent while it was in flight) resolves it now. */
  #catchUp(db: SqliteDb, wait: WaitRecord, matcher: EventMatcher): boolean {
    const run = db.get<{ trigger_data: string; created_at: number }>("SELECT trigger_data, created_at FROM runs WHERE id = ?", [wait.runId])!;
    for (const row of db.all("SELECT * FROM events WHERE name = ? AND ts >= ? ORDER BY ts, rowid", [wait.event, wait.since])) {
      const output = matcher.accept(wait, { trigger: run.trigger_data, createdAt: run.created_at }, eventFromRow(row));
      if (output !== null) return this.#resolve(db, wait.runId, wait.stepId, output, Date.now());
    }
    return false;
  }

  /** Resolves an open wait (inside a transaction): see Store.resolveWait. */
  #resolve(db: SqliteDb, runId: string, stepId: string, output: string, now: number): boolean {
    if (db.run("DELETE FROM waits WHERE run_id = ? AND step_id = ?", [runId, stepId]) === 0) return false;
    db.run("UPDATE steps SET status = 'completed', output = ?, wake_at = NULL, updated_at = ? WHERE run_id = ? AND id = ?", [output, now, runId, stepId]);
    db.run("UPDATE runs SET wake_at = ?, rev = rev + 1, updated_at = ? WHERE id = ? AND status = 'waiting'", [now, now, runId]);
    return true;
  }

  async pruneEvents(olderThan: number) {
    const db = await this.#open();
    // the earliest beginning of a wait, saved or in flight in a running run: events from then on stay
    return await db.write(() =>
      db.run(
        `DELETE FROM events WHERE ts < min(?, coalesce((SELECT min(since) FROM waits), ?), coalesce((SELECT min(created_at) FROM runs WHERE status = 'running'), ?))`,
        [olderThan, olderThan, olderThan],
      ),
    );
  }

  async findWaits(eventName: string, ts: number): Promise<WaitRecord[]> {
    const rows = (await this.#open()).all("SELECT * FROM waits WHERE event = ? AND since <= ? ORDER BY since, run_id", [eventName, ts]);
    return rows.map(waitFromRow);
  }

  async resolveWait(runId: string, stepId: string, output: string, now: number) {
    const db = await this.#open();
    const resolved = await db.write(() => this.#resolve(db, runId, stepId, output, now));
    if (!resolved) return false;
    this.#hub.runChanged(runId);
    this.#hub.due();
    return true;
  }

  async waitForChange(runId: string, signal: AbortSignal) {
    // Once open, subscribe synchronously: no change can slip in between the caller's call and our subscription.
    const db = this.#db ?? (await this.#open());
    if (this.#closed) return; // closed while opening: there will be no change to wait for
    return this.#hub.waitForChange(runId, signal, this.#rev(db, runId));
  }

  onDue(listener: () => void) {
    return this.#hub.onDue(listener);
  }

  async beginStream(runId: string, fence: number, head: string) {
    const db = await this.#open();
    const generation = await db.write(() => {
      // the fenced rev bump goes first: a stale writer changes nothing
      if (db.run("UPDATE runs SET rev = rev + 1 WHERE id = ? AND fence = ? AND status = 'running'", [runId, fence]) === 0) return null;
      db.run("DELETE FROM stream_chunks WHERE run_id = ?", [runId]);
      return db.get<{ generation: number }>(
        `INSERT INTO streams (run_id, generation, head, size) VALUES (?, 1, ?, 0)
         ON CONFLICT (run_id) DO UPDATE SET generation = generation + 1, head = excluded.head, size = 0 RETURNING generation`,
        [runId, head],
      )!.generation;
    });
    if (generation !== null) this.#hub.runChanged(runId);
    return generation;
  }

  async appendStream(runId: string, fence: number, generation: number, offset: number, data: Uint8Array) {
    const db = await this.#open();
    const appended = await db.write(() => {
      const grown = db.run(
        `UPDATE streams SET size = size + ? WHERE run_id = ? AND generation = ? AND size = ?
           AND EXISTS (SELECT 1 FROM runs WHERE id = ? AND fence = ? AND status = 'running')`,
        [data.byteLength, runId, generation, offset, runId, fence],
      );
      if (grown === 0) return false;
      db.run("INSERT INTO stream_chunks (run_id, generation, byte_offset, data) VALUES (?, ?, ?, ?)", [runId, generation, offset, asBuffer(data)]);
      // other processes notice a run's change by its rev
      db.run("UPDATE runs SET rev = rev + 1 WHERE id = ?", [runId]);
      return true;
    });
    if (appended) this.#hub.runChanged(runId);
    return appended;
  }

  async getStream(runId: string): Promise<StreamRecord | null> {
    const row = (await this.#open()).get<{ generation: number; head: string; size: number }>(
      "SELECT generation, head, size FROM streams WHERE run_id = ?",
      [runId],
    );
    return row ? { runId, generation: row.generation, head: row.head, size: row.size } : null;
  }

  async readStream(runId: string, generation: number, from: number, limit: number): Promise<StreamChunk[]> {
    const rows = (await this.#open()).all<{ byte_offset: number; data: Uint8Array }>(
      `SELECT byte_offset, data FROM stream_chunks WHERE run_id = ? AND generation = ? AND byte_offset >= coalesce(
         (SELECT max(byte_offset) FROM stream_chunks WHERE run_id = ? AND generation = ? AND byte_offset <= ?), 0)
       ORDER BY byte_offset LIMIT ?`,
      [runId, generation, runId, generation, from, limit],
    );
    const chunks = rows.map((r) => ({ offset: r.byte_offset, data: r.data }));
    const last = chunks.at(-1);
    return last && last.offset + last.data.byteLength > from ? chunks : [];
  }

  async getOrSetMeta(key: string, value: string) {
    const db = await this.#open();
    // read first: every new client asks (for the signing key), and a write transaction would take the write lock
    const stored = db.get<{ value: string }>("SELECT value FROM meta WHERE key = ?", [key]);
    if (stored) return stored.value;
    return await db.write(() => {
      db.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", [key, value]);
      return db.get<{ value: string }>("SELECT value FROM meta WHERE key = ?", [key])!.value;
    });
  }

  async cancelRun(runId: string, result: string, now: number) {
    const db = await this.#open();
    const { row, cancelled } = await db.write(() => {
      const updated = db.get(
        `UPDATE runs SET status = 'cancelled', result = ?, wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
         rev = rev + 1, updated_at = ? WHERE id = ? AND status IN ('running', 'waiting') RETURNING *`,
        [result, now, runId],
      );
      if (updated) db.run("DELETE FROM waits WHERE run_id = ?", [runId]);
      return { row: updated ?? db.get("SELECT * FROM runs WHERE id = ?", [runId]), cancelled: updated !== undefined };
    });
    if (cancelled) this.#hub.runChanged(runId);
    // its slot, or its place in the queue, is free
    if (cancelled && row?.concurrency_key != null) this.#hub.due();
    return row ? { run: runFromRow(row), changed: cancelled } : null;
  }

  async retryRun(runId: string, now: number) {
    const db = await this.#open();
    const { row, retried } = await db.write(() => {
      const updated = db.get(
        `UPDATE runs SET status = 'waiting', result = NULL, wake_at = ?, lease_owner = NULL, lease_expires_at = NULL,
         rev = rev + 1, updated_at = ? WHERE id = ? AND status = 'failed' RETURNING *`,
        [now, now, runId],
      );
      if (updated) db.run("UPDATE steps SET status = 'retrying', attempts = 0, wake_at = NULL, updated_at = ? WHERE run_id = ? AND status = 'failed'", [now, runId]);
      return { row: updated ?? db.get("SELECT * FROM runs WHERE id = ?", [runId]), retried: updated !== undefined };
    });
    if (retried) {
      this.#hub.runChanged(runId);
      this.#hub.due();
    }
    return row ? { run: runFromRow(row), changed: retried } : null;
  }

  async listRuns(options: ListRunsOptions = {}) {
    const db = await this.#open();
    let cursor: RunCursor | null = null;
    if (options.after !== undefined) {
      const row = db.get<{ created_at: number; position: number }>(cursorSql(LIST_RUNS), [options.after]);
      if (!row) return [];
      cursor = { createdAt: row.created_at, order: row.position };
    }
    const { sql, values } = listRunsSql(options, cursor, LIST_RUNS);
    return db.all(sql, values).map(runFromRow);
  }

  async listWaits(runId: string): Promise<WaitRecord[]> {
    return (await this.#open()).all("SELECT * FROM waits WHERE run_id = ? ORDER BY since, rowid", [runId]).map(waitFromRow);
  }

  async wakeRun(runId: string, now: number) {
    const db = await this.#open();
    const woken = await db.write(() => {
      if (!db.get(`SELECT 1 FROM runs WHERE id = ? AND status = 'waiting' AND ${LEASE_FREE}`, [runId, now])) return false;
      if (db.run(`UPDATE steps SET wake_at = ?, updated_at = ? WHERE run_id = ? AND wake_at > ? AND ${WAKEABLE_STEPS}`, [now, now, runId, now]) === 0) return false;
      db.run("UPDATE runs SET wake_at = ?, rev = rev + 1, updated_at = ? WHERE id = ?", [now, now, runId]);
      return true;
    });
    if (!woken) return false;
    this.#hub.runChanged(runId);
    this.#hub.due();
    return true;
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch(false);
    this.#hub.wakeAll();
    const db = await this.#opening?.catch(() => undefined);
    db?.close();
  }

  #open(): Promise<SqliteDb> {
    if (this.#closed) return Promise.reject(new Error(`SQLite store ${this.#options.path} is closed`));
    this.#opening ??= openSqlite(this.#options.path)
      .then((db) => {
        try {
          db.exec(`PRAGMA busy_timeout = ${Math.trunc(this.#options.busyTimeoutMs ?? 5000)}`);
          db.get("PRAGMA journal_mode = WAL");
          db.exec("PRAGMA synchronous = NORMAL");
          migrate(db, this.#options.path);
          this.#dataVersion = this.#readDataVersion(db);
        } catch (error) {
          db.close();
          throw error;
        }
        this.#db = db;
        return db;
      })
      .catch((error: unknown) => {
        // a failed open (another process held the write lock past the busy timeout) must not stick: the next call tries again
        this.#opening = undefined;
        throw error;
      });
    return this.#opening;
  }

  #getRun(db: SqliteDb, runId: string): RunRecord | null {
    const row = db.get("SELECT * FROM runs WHERE id = ?", [runId]);
    return row ? runFromRow(row) : null;
  }

  #rev(db: SqliteDb, runId: string): number {
    return db.get<{ rev: number }>("SELECT rev FROM runs WHERE id = ?", [runId])?.rev ?? -1;
  }

  #readDataVersion(db: SqliteDb): number {
    return db.get<{ data_version: number }>("PRAGMA data_version")!.data_version;
  }

  /** Poll for other connections' commits while anyone listens. */
  #watch(active: boolean): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!active || this.#closed) return;
    this.#timer = setInterval(() => this.#poll(), this.#options.pollMs ?? DEFAULT_POLL_MS);
    this.#timer.unref();
  }

  #poll(): void {
    const db = this.#db;
    if (!db) {
      // Listeners subscribed before first use: open now, so other processes' signals reach them.
      this.#open().catch(() => {});
      return;
    }
    try {
      const version = this.#readDataVersion(db);
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
      for (const runId of this.#hub.watched().keys()) {
        const rev = this.#rev(db, runId);
        this.#hub.runChanged(runId, (token) => token === rev);
      }
      this.#hub.due();
    } catch {
      // A transient read failure (e.g. the file is busy being checkpointed): try again next tick.
    }
  }
}
