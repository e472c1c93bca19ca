/**
 * A thin synchronous adapter over the two SQLite drivers we support:
 * better-sqlite3 on Node, `bun:sqlite` under Bun. Drivers are loaded with a
 * dynamic import on first open, so importing the store (or bundling it) never
 * pulls a native module in eagerly. Statements are prepared once and cached.
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

class CachedDb implements SqliteDb {
  readonly #db: DriverDatabase;
  readonly #statements = new Map<string, DriverStatement>();

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

  close(): void {
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
