import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { describeStoreConformance } from "./conformance.js";

const dir = mkdtempSync(join(tmpdir(), "durable-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
describeStoreConformance(
  "sqlite",
  () => {
    const path = join(dir, `conformance-${++n}`, "store.db");
    return () => sqliteStore({ path });
  },
  { shared: true },
);

describe("sqliteStore", () => {
  it("does no I/O until first use, then creates the directory and a WAL database", async () => {
    const path = join(dir, "lazy", "nested", "app.db");
    const store = sqliteStore({ path });
    expect(existsSync(join(dir, "lazy"))).toBe(false);
    await store.getRun("x");
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(true);
    await store.close();

    const Database = (await import("better-sqlite3")).default;
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(1);
    db.close();
  });

  it("refuses a database written by a newer schema version", async () => {
    const path = join(dir, "future.db");
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(path);
    db.pragma("user_version = 99");
    db.close();
    const store = sqliteStore({ path });
    await expect(store.getRun("x")).rejects.toThrow(/schema version 99, newer than this runtime supports/);
    await store.close();
  });

  it("rejects calls after close", async () => {
    const store = sqliteStore({ path: join(dir, "closed.db") });
    await store.close();
    await expect(store.getRun("x")).rejects.toThrow(/is closed/);
  });
});
