import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { SQLITE_SCHEMA_VERSION } from "../../src/stores/sqlite-schema.js";
import { describeStoreConformance, makeRun } from "./conformance.js";

const dir = mkdtempSync(join(tmpdir(), "durable-sqlite-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(fileURLToPath(new URL(`../../node_modules/.cache/stores-test-${process.pid}.mjs`, import.meta.url)), { force: true });
});

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
    expect(db.pragma("user_version", { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    db.close();
  });

  it("a first open that finds another process holding the write lock is retried by the next call", async () => {
    const path = join(dir, "locked.db");
    const Database = (await import("better-sqlite3")).default;
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    const store = sqliteStore({ path, busyTimeoutMs: 50 });
    await expect(store.getRun("x")).rejects.toMatchObject({ name: "StoreUnavailableError", retriable: true });
    other.exec("COMMIT");
    other.close();
    // the lock is gone: the store opens now (a failed open used to stick for the life of the process)
    await expect(store.getRun("x")).resolves.toBeNull();
    await store.close();
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

describe("sqliteStore group commit", () => {
  /** A store already open on a new file, and a second connection (as another process would have) to look at it. */
  async function openPair(name: string, options: { busyTimeoutMs?: number } = {}) {
    const path = join(dir, "group", `${name}.db`);
    const store = sqliteStore({ path, ...options });
    await store.getRun("open");
    const Database = (await import("better-sqlite3")).default;
    const other = new Database(path);
    const visible = (runId: string) => other.prepare("SELECT 1 FROM runs WHERE id = ?").get(runId) !== undefined;
    /** WAL frames written so far (the WAL is never checkpointed into the file meanwhile: `other` reads it). */
    const walFrames = () => (other.pragma("wal_checkpoint(NOOP)") as { log: number }[])[0]!.log;
    return { store, other, visible, walFrames };
  }

  it("the writes asked for in one turn share one commit, each settling once it is committed", async () => {
    const { store, other, visible, walFrames } = await openPair("shared");
    const runs = Array.from({ length: 40 }, () => makeRun());
    const start = walFrames();
    await Promise.all(
      runs.map(async (run) => {
        await store.createRun(run);
        // settled: committed, so another connection sees it
        expect(visible(run.id)).toBe(true);
      }),
    );
    // 40 commits of their own would write at least one WAL frame each
    expect(walFrames() - start).toBeLessThan(40);
    other.close();
    await store.close();
  });

  it("a write that fails in a group is rolled back alone: the others commit", async () => {
    const { store, other, visible } = await openPair("one-fails");
    const [first, last] = [makeRun(), makeRun()];
    const bad = makeRun({ request: null as unknown as string }); // NOT NULL: refused by SQLite
    const results = await Promise.allSettled([store.createRun(first), store.createRun(bad), store.createRun(last)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/NOT NULL/);
    expect([visible(first.id), visible(bad.id), visible(last.id)]).toEqual([true, false, true]);
    other.close();
    await store.close();
  });

  it("when the group's transaction cannot start (another process holds the write lock), every write of it rejects retriable and none is committed", async () => {
    const { store, other, visible } = await openPair("locked", { busyTimeoutMs: 50 });
    other.exec("BEGIN IMMEDIATE");
    const runs = [makeRun(), makeRun(), makeRun()];
    const results = await Promise.allSettled(runs.map((run) => store.createRun(run)));
    for (const result of results) expect((result as PromiseRejectedResult).reason).toMatchObject({ name: "StoreUnavailableError", retriable: true });
    other.exec("COMMIT");
    expect(runs.map((run) => visible(run.id))).toEqual([false, false, false]);
    other.close();
    await store.close();
  });

  it("writes asked for just before close are committed, not lost", async () => {
    const { store, other, visible } = await openPair("close");
    const run = makeRun();
    const created = store.createRun(run);
    await store.close();
    await expect(created).resolves.toMatchObject({ created: true });
    expect(visible(run.id)).toBe(true);
    other.close();
  });
});

/** The store's TypeScript bundled for child processes, where better-sqlite3 resolves. */
async function bundleStore(): Promise<string> {
  const bundle = fileURLToPath(new URL(`../../node_modules/.cache/stores-test-${process.pid}.mjs`, import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL("../../src/stores/sqlite.ts", import.meta.url))],
    bundle: true, platform: "node", format: "esm", outfile: bundle, external: ["better-sqlite3", "bun:sqlite"], logLevel: "silent",
  });
  return bundle;
}

describe("sqliteStore across processes", () => {
  it("runs on bun:sqlite under Bun", async () => {
    const bun = fileURLToPath(new URL("../../../../node_modules/.bin/bun", import.meta.url));
    const check = fileURLToPath(new URL("./sqlite-bun-check.mjs", import.meta.url));
    const bundle = await bundleStore();
    const { stdout } = await promisify(execFile)(bun, ["--no-install", check, bundle, join(dir, "bun", "store.db")]);
    expect(JSON.parse(stdout)).toEqual({ runtime: "bun", created: true, duplicate: false, written: true, wokenByOtherInstance: true, stale: false, steps: 1 });
  });

  it("concurrent claimDue from several processes never hands one run to two of them", async () => {
    const bundle = await bundleStore();
    const path = join(dir, "race", "store.db");
    const store = sqliteStore({ path });
    const now = Date.now();
    const ids = new Set<string>();
    for (let i = 0; i < 400; i++) ids.add((await store.createRun(makeRun({ status: "waiting", wakeAt: now - i, leaseOwner: null, leaseExpiresAt: null }))).run.id);
    await store.close();

    const claimer = fileURLToPath(new URL("./sqlite-claimer.mjs", import.meta.url));
    const children = ["p1", "p2", "p3", "p4"].map((owner) => spawn(process.execPath, [claimer, bundle, path, owner], { stdio: ["pipe", "pipe", "inherit"] }));
    const outputs = children.map((child) => {
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      return {
        ready: new Promise<void>((resolve) => child.stdout.on("data", () => out.startsWith("ready\n") && resolve())),
        done: new Promise<string>((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve(out.slice("ready\n".length)) : reject(new Error(`claimer exited with ${code}`))))),
      };
    });
    await Promise.all(outputs.map((o) => o.ready));
    for (const child of children) child.stdin.write("go\n");
    const claims = (await Promise.all(outputs.map((o) => o.done))).map((stdout) => JSON.parse(stdout) as string[]);
    const all = claims.flat();
    expect(all.length).toBe(ids.size);
    expect(new Set(all)).toEqual(ids);
    // Not a performance assertion: only that the race really had several participants.
    expect(claims.filter((c) => c.length > 0).length).toBeGreaterThan(1);
  });
});
