/** Opens the store a command inspects: `--store URL`, else DURABLE_STORE_URL. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Store } from "@durable-endpoints/runtime";
import { CliError } from "./errors.js";

export function resolveStoreUrl(option: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = option ?? env.DURABLE_STORE_URL;
  if (!url) throw new CliError("no store: pass --store <url> (sqlite:///abs/path.db, postgres://…) or set DURABLE_STORE_URL");
  return url;
}

export async function withStore<T>(url: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openExisting(url);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Opens a store without creating one: inspecting a mistyped path must fail, not make an empty database. */
async function openExisting(url: string): Promise<Store> {
  if (url.startsWith("sqlite:")) {
    const path = sqlitePath(url);
    if (!existsSync(path)) throw new CliError(`store not found: no SQLite database at ${path}`);
    const { sqliteStore } = await import("@durable-endpoints/runtime/sqlite");
    return sqliteStore({ path });
  }
  if (url.startsWith("postgres:") || url.startsWith("postgresql:")) {
    const { postgresStore } = await import("@durable-endpoints/runtime/postgres");
    return postgresStore({ connectionString: url });
  }
  if (url.startsWith("memory:")) throw new CliError("a memory: store lives inside its process; point --store at SQLite or Postgres");
  throw new CliError(`unsupported store URL "${url}" (expected sqlite:///abs/path.db or postgres://…)`);
}

function sqlitePath(url: string): string {
  try {
    return url.startsWith("sqlite://") ? fileURLToPath(`file://${url.slice("sqlite://".length)}`) : url.slice("sqlite:".length);
  } catch {
    throw new CliError(`bad SQLite store URL "${url}" (expected sqlite:///abs/path.db)`);
  }
}
