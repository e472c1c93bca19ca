/** Shared test helpers: a client on a memory store with a captured logger, and request shortcuts. */

import { Inngest, type InngestOptions, type Logger, type Store } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testPostgresUrl } from "../../../test/support/postgres.mjs";

export interface TestClient {
  inngest: Inngest;
  store: Store;
  logs: { level: string; message: string }[];
}

const clients: Inngest[] = [];

export function testClient(options: Partial<InngestOptions> = {}): TestClient {
  const logs: TestClient["logs"] = [];
  const record = (level: string) => (...args: unknown[]) => logs.push({ level, message: args.map(String).join(" ") });
  const logger: Logger = { info: record("info"), warn: record("warn"), error: record("error") };
  const store = options.store ?? memoryStore();
  const inngest = new Inngest({ id: "test-app", endpointAdapter, logger, pollMs: 2000, ...options, store });
  clients.push(inngest);
  return { inngest, store, logs };
}

/** Closes every client made by testClient (call in afterEach). */
export async function closeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

/** Tests whose child processes run the runtime's built dist/ call this first: it fails clearly when dist/ is missing. */
export function requireBuiltRuntime(): void {
  if (!existsSync(fileURLToPath(new URL("../dist/index.js", import.meta.url)))) {
    throw new Error("build the runtime first: npx turbo run build --filter=@durable-endpoints/runtime");
  }
}

export const req = (path: string, init?: RequestInit) => new Request(`http://localhost${path}`, init);

/** Follows a 303 to the poll URL and long-polls until the final Response. */
export async function follow(handler: (r: Request) => Promise<Response>, first: Response, base = "http://localhost"): Promise<Response> {
  let res = first;
  for (let i = 0; i < 100 && (res.status === 303 || res.status === 202); i++) {
    const location = res.headers.get("location")!;
    res = await handler(new Request(new URL(location, base)));
  }
  return res;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition()` holds (checked every 10 ms); fails naming `what` (read then) after `ms`. */
export async function until(condition: () => boolean, what: string | (() => string), ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; !condition(); await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${typeof what === "string" ? what : what()}`);
  }
}

/** A promise and the function that resolves it. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A claimDue (a scheduler's pass): the time it claimed at and the runs it claimed. */
export interface ClaimPass {
  at: number;
  claimed: string[];
}

/** `store` with the methods in `replaced` swapped for the ones they make from it. */
export function intercepted(store: Store, replaced: Partial<Record<keyof Store, (target: Store) => unknown>>): Store {
  return new Proxy(store, {
    get(target, prop) {
      const make = replaced[prop as keyof Store];
      if (make) return make(target);
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** `store`, recording each claimDue in `passes`. */
export function observeClaims(store: Store, passes: ClaimPass[]): Store {
  return intercepted(store, {
    claimDue: (target) => async (...args: Parameters<Store["claimDue"]>) => {
      const claimed = await target.claimDue(...args);
      passes.push({ at: args[3], claimed: claimed.map((run) => run.id) });
      return claimed;
    },
  });
}

const sqliteDirs: string[] = [];

/**
 * Fresh stores of every kind for tests that must hold on each: memory, SQLite in a temp file, Postgres in
 * a schema of its own on the test server (`removeTestStores()` in afterAll removes them).
 */
export const storeKinds = {
  memory: async (): Promise<Store> => (await import("@durable-endpoints/runtime/memory")).memoryStore(),
  sqlite: async (): Promise<Store> => (await import("@durable-endpoints/runtime/sqlite")).sqliteStore({ path: testSqlitePath() }),
  postgres: async (options: { url?: string } = {}): Promise<Store> => {
    const { postgresStore } = await import("@durable-endpoints/runtime/postgres");
    return postgresStore({ connectionString: options.url ?? testPostgresUrl(), schema: testSchema() });
  },
};

export type StoreKind = keyof typeof storeKinds;

/** A SQLite file in a fresh temp dir, which `removeTestStores()` removes. */
export function testSqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "durable-test-"));
  sqliteDirs.push(dir);
  return join(dir, "runs.db");
}

const schemaPrefix = `durable_test_api_${process.pid}_`;
let schemas = 0;

/** A new schema name for this test process. */
export const testSchema = () => `${schemaPrefix}${++schemas}`;

/** Removes the SQLite files of `storeKinds.sqlite` and drops the schemas `testSchema()` named. */
export async function removeTestStores(): Promise<void> {
  for (const dir of sqliteDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (schemas === 0) return;
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  const { rows } = await admin.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", [schemaPrefix]);
  for (const { nspname } of rows) await admin.query(`DROP SCHEMA "${nspname}" CASCADE`);
  await admin.end();
}
