/** Opens the store a command inspects: `--store URL`, else DURABLE_STORE_URL. */
import { existsSync } from "node:fs";
import { openStore, parseStoreUrl, type Store } from "@durable-endpoints/runtime";
import { CliError } from "./errors.js";

export function resolveStoreUrl(option: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = option ?? env.DURABLE_STORE_URL;
  if (!url) throw new CliError("no store: pass --store <url> (sqlite:///abs/path.db, postgres://…) or set DURABLE_STORE_URL");
  return url;
}

export async function withStore<T>(url: string, use: (store: Store) => Promise<T>): Promise<T> {
  refuseToCreate(url);
  const store = await openStore(url, "durable-cli");
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Inspecting must never create a store: a mistyped SQLite path is an error, not a new empty database. */
function refuseToCreate(url: string): void {
  const location = parseStoreUrl(url);
  if (location.kind === "memory") throw new CliError("a memory: store lives inside its process; point --store at SQLite or Postgres");
  if (location.kind === "sqlite" && !existsSync(location.path)) throw new CliError(`store not found: no SQLite database at ${location.path}`);
}
