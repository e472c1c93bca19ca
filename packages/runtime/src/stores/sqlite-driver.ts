/**
 * A thin synchronous adapter over the two SQLite drivers we support:
 * better-sqlite3 on Node, `bun:sqlite` under Bun. Drivers are loaded with a
 * dynamic import on first open, so importing the store (or bundling it) never
 * pulls a native module in eagerly. Statements are prepared once and cached.
 *
 * Writes are group-committed (`write`): those asked for in one turn of the
 * event loop — the checkpoints of concurrent requests — share one
 * transaction, so one commit (its WAL frames, its locks) serves them all.
 * Each write's promise settles only once that transaction has committed.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { StoreUnavailableError } from "./sql-errors.js";

export interface SqliteDb {
  /** Run a statement; returns the number of changed rows. */
  run(sql: string, params?: readonly unknown[]): number;
  get<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): T | undefined;
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): T[];
  /** Run SQL without parameters or results (pragmas, DDL). */
  exec(sql: string): void;
  /** `BEGIN IMMEDIATE` … `COMMIT` around a synchronous body (rolled back if it throws). */
  transaction<T>(body: () => T): T;
  /**
   * A write transaction, group-committed: `body` runs at the end of this turn
   * of the event loop inside one `BEGIN IMMEDIATE` … `COMMIT` with the other
   * writes asked for meanwhile, in the order they were asked for. Resolves
   * with its result once that transaction has committed. A body that throws
   * changes nothing: it rejects with its error, the others commit without it.
   * When the transaction itself fails (the write lock, the disk), every
   * write of the group rejects with that error and none is committed.
   */
  write<T>(body: () => T): Promise<T>;
  close(): void;
}

/** What both drivers' statements have in common (bun returns null for no row, better-sqlite3 undefined). */
interface DriverStatement {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

interface DriverDatabase {
  prepare(sql: string): DriverStatement;
  exec(sql: string): unknown;
  readonly inTransaction: boolean;
  close(): void;
}

export async function openSqlite(path: string): Promise<SqliteDb> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  return new CachedDb(await openDriver(path));
}

async function openDriver(path: string): Promise<DriverDatabase> {
  if (process.versions.bun) {
    // A variable specifier keeps TypeScript and Node-targeted bundlers away from Bun's built-in.
    const bunSqlite = "bun:sqlite";
    const { Database } = await import(bunSqlite);
    return new Database(path, { create: true, readwrite: true }) as DriverDatabase;
  }
  const { default: Database } = await import("better-sqlite3");
  return new Database(path) as unknown as DriverDatabase;
}

interface PendingWrite {
  body: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

class CachedDb implements SqliteDb {
  readonly #db: DriverDatabase;
  readonly #statements = new Map<string, DriverStatement>();
  /** the writes of this turn, committed together by `#commitWrites` */
  #writes: PendingWrite[] = [];

  constructor(db: DriverDatabase) {
    this.#db = db;
  }

  run(sql: string, params: readonly unknown[] = []): number {
    return retriable(() => Number(this.#prepare(sql).run(...params).changes));
  }

  get<T>(sql: string, params: readonly unknown[] = []): T | undefined {
    return retriable(() => (this.#prepare(sql).get(...params) ?? undefined) as T | undefined);
  }

  all<T>(sql: string, params: readonly unknown[] = []): T[] {
    return retriable(() => this.#prepare(sql).all(...params) as T[]);
  }

  exec(sql: string): void {
    retriable(() => this.#db.exec(sql));
  }

  transaction<T>(body: () => T): T {
    // Prepared (and cached) like any statement: exec() would parse BEGIN/COMMIT on every checkpoint.
    this.run("BEGIN IMMEDIATE");
    try {
      const result = body();
      this.run("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  write<T>(body: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = this.#writes.push({ body, resolve: resolve as (value: unknown) => void, reject }) === 1;
      // after the I/O callbacks of this turn (and the promise jobs they start): their writes join this group
      if (first) setImmediate(() => this.#commitWrites());
    });
  }

  #commitWrites(): void {
    const writes = this.#writes;
    if (writes.length === 0) return;
    this.#writes = [];
    let results: unknown[];
    try {
      results = this.transaction(() => writes.map((write) => write.body()));
    } catch (error) {
      // rolled back: nothing of the group was committed
      if (writes.length === 1 || error instanceof StoreUnavailableError) {
        for (const write of writes) write.reject(error);
        return;
      }
      // one body failed: each write gets a transaction of its own, so only that one fails
      for (const write of writes) {
        try {
          write.resolve(this.transaction(write.body));
        } catch (own) {
          write.reject(own);
        }
      }
      return;
    }
    writes.forEach((write, i) => write.resolve(results[i]));
  }

  close(): void {
    this.#commitWrites(); // the writes asked for before closing are committed, not lost
    this.#statements.clear();
    this.#db.close();
  }

  #prepare(sql: string): DriverStatement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }
}

/**
 * Result codes worth retrying: another process held the write lock past
 * busy_timeout, the disk was full or an I/O failed. Anything else (a
 * constraint, a value too big, a bug) will recur.
 */
const TRANSIENT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|PROTOCOL)/;

function retriable<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT.test(code)) throw new StoreUnavailableError("sqlite", error);
    throw error;
  }
}
