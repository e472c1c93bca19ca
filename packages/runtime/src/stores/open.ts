/**
 * The store a client uses when none is given: `DURABLE_STORE_URL`
 * (`sqlite:///abs/file.db`, `sqlite:relative.db`, `postgres://…`, `memory:`) or SQLite at
 * `./.durable/<client id>.db`. SQLite and Postgres are imported only here and
 * only when chosen, so bundles that never use them never load them.
 */

import type { Store } from "../store.js";

export async function openStore(url: string | undefined, clientId: string): Promise<Store> {
  if (url === undefined || url === "") {
    const { sqliteStore } = await import("./sqlite.js");
    return sqliteStore({ path: `./.durable/${clientId.replace(/[^\w.-]/g, "_")}.db` });
  }
  if (url === "memory:" || url === "memory://") {
    const { memoryStore } = await import("./memory.js");
    return memoryStore();
  }
  if (url.startsWith("sqlite:")) {
    const { sqliteStore } = await import("./sqlite.js");
    return sqliteStore({ path: sqlitePath(url) });
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const { postgresStore } = await import("./postgres.js");
    return postgresStore({ connectionString: url });
  }
  throw new Error(`DURABLE_STORE_URL ${JSON.stringify(url)} is not supported: use sqlite:///abs/path.db, postgres://… or memory:`);
}

/** `sqlite:///abs/x.db` → `/abs/x.db`; `sqlite:rel/x.db` / `sqlite://rel/x.db` → `rel/x.db`. */
function sqlitePath(url: string): string {
  const rest = url.slice("sqlite:".length);
  const path = rest.startsWith("//") ? rest.slice(2) : rest;
  if (path === "") throw new Error(`DURABLE_STORE_URL ${JSON.stringify(url)} names no SQLite file`);
  return decodeURIComponent(path);
}
