import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A fresh SQLite store for one example's servers (shared across its restarts). */
export function tempStore(label: string) {
  const dir = mkdtempSync(path.join(tmpdir(), `durable-${label}-`));
  return {
    env: { DURABLE_STORE_URL: `sqlite://${path.join(dir, "store.db")}`, DURABLE_LEASE_MS: "1000" },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
