/**
 * The store a client uses when none is given: `DURABLE_STORE_URL`
 * (`sqlite:///abs/file.db`, `sqlite:relative.db`, `postgres://…`, `memory:`) or SQLite at
 * `./.durable/<client id>.db`. SQLite and Postgres are imported only here and
 * only when chosen, so bundles that never use them never load them.
 */

import type { Store } from "../store.js";

/** Where a store URL points. */
export type StoreLocation =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; connectionString: string }
  | { kind: "memory" };

/**
 * `sqlite:///abs/x.db` → `/abs/x.db`; `sqlite:rel/x.db` / `sqlite://rel/x.db` → `rel/x.db`;
 * `postgres://…` / `postgresql://…`; `memory:`. Throws for anything else.
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url === "memory:" || url === "memory://") return { kind: "memory" };
  if (url.startsWith("sqlite:")) {
    const rest = url.slice("sqlite:".length);
    const path = rest.startsWith("//") ? rest.slice(2) : rest;
    if (path === "") throw new Error(`DURABLE_STORE_URL ${JSON.stringify(url)} names no SQLite file`);
    return { kind: "sqlite", path: decodeURIComponent(path) };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return { kind: "postgres", connectionString: url };
  throw new Error(`DURABLE_STORE_URL ${JSON.stringify(url)} is not supported: use sqlite:///abs/path.db, postgres://… or memory:`);
}

export async function openStore(url: string | undefined, clientId: string): Promise<Store> {
  const location: StoreLocation =
    url === undefined || url === "" ? { kind: "sqlite", path: `./.durable/${clientId.replace(/[^\w.-]/g, "_")}.db` } : parseStoreUrl(url);
  switch (location.kind) {
    case "memory": {
      const { memoryStore } = await import("./memory.js");
      return memoryStore();
    }
    case "sqlite": {
      const { sqliteStore } = await import("./sqlite.js");
      return sqliteStore({ path: location.path });
    }
    case "postgres": {
      const { postgresStore } = await import("./postgres.js");
      return postgresStore({ connectionString: location.connectionString });
    }
  }
}
