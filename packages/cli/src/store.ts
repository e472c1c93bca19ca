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
  const store = await openExistingStore(url);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Opens the store at `url`; fails if it does not exist (a SQLite file) instead of creating it. */
export async function openExistingStore(url: string): Promise<Store> {
  refuseToCreate(url);
  return openStore(url, "durable-cli");
}

/** The URL to show: a Postgres password is not for the screen. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/, "$1:***@");
}

/** Inspecting must never create a store: a mistyped SQLite path is an error, not a new empty database. */
function refuseToCreate(url: string): void {
  const location = parseStoreUrl(url);
  if (location.kind === "memory") throw new CliError("a memory: store lives inside its process; point --store at SQLite or Postgres");
  if (location.kind === "sqlite" && !existsSync(location.path)) throw new CliError(`store not found: no SQLite database at ${location.path}`);
}
