import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import pg from "pg";
import { afterAll, describe, expect, it, vi } from "vitest";
import { postgresStore } from "../../src/stores/postgres.js";
import { StoreUnavailableError } from "../../src/stores/sql-errors.js";
import { postgresUrl, testPostgresUrl } from "../../../../test/support/postgres.mjs";
import { describeStoreConformance, makeRun, makeStep } from "./conformance.js";

const baseUrl = testPostgresUrl();
// Our connections carry this application_name, so a test can cut exactly them (and nobody else's).
const appName = `durable_test_${process.pid}`;
const url = postgresUrl(baseUrl, { application_name: appName });
const prefix = `durable_test_${process.pid}_`;

afterAll(async () => {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  const { rows } = await admin.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", [prefix]);
  for (const { nspname } of rows) await admin.query(`DROP SCHEMA "${nspname}" CASCADE`);
  await admin.end();
  rmSync(bundlePath, { force: true });
});

const bundlePath = fileURLToPath(new URL(`../../node_modules/.cache/postgres-store-test-${process.pid}.mjs`, import.meta.url));

let n = 0;
const freshSchema = () => `${prefix}${++n}`;

describeStoreConformance(
  "postgres",
  () => {
    const schema = freshSchema();
    return () => postgresStore({ connectionString: url, schema });
  },
  { shared: true },
);

describe("postgresStore", () => {
  it("does no I/O until first use; an unreachable server is a retriable error", async () => {
    const store = postgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/postgres", schema: freshSchema() });
    const error = await store.getRun("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ retriable: true, message: expect.stringContaining("ECONNREFUSED") });
    await store.close();
  });

  it("takes the schema from the URL's ?schema= parameter", async () => {
    const schema = freshSchema();
    const store = postgresStore({ connectionString: postgresUrl(url, { schema }) });
    const { run } = await store.createRun(makeRun());
    await store.close();
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    const { rows } = await admin.query(`SELECT id FROM "${schema}".runs`);
    await admin.end();
    expect(rows).toEqual([{ id: run.id }]);
  });

  it("times leases by the server's clock: a caller whose clock is off takes no live lease and misses no lapsed one", async () => {
    const store = postgresStore({ connectionString: url, schema: freshSchema() });
    const now = Date.now();
    const hour = 3_600_000;
    const live = (await store.createRun(makeRun({ status: "running", leaseOwner: "a", leaseExpiresAt: now + 30_000 }))).run;
    const lapsed = (await store.createRun(makeRun({ status: "running", leaseOwner: "dead", leaseExpiresAt: now - 1 }))).run;
    // an hour ahead: the live lease is still live
    expect(await store.acquireLease(live.id, "ahead", 30_000, now + hour)).toBeNull();
    expect((await store.claimDue([live.endpoint], "ahead", 30_000, now + hour, 10)).map((r) => r.id)).toEqual([lapsed.id]);
    // renewed by a holder an hour behind: still live for its ttl
    expect(await store.renewLease(lapsed.id, lapsed.fence + 1, 30_000, now - hour)).toBe(true);
    expect(await store.acquireLease(lapsed.id, "other", 30_000, now)).toBeNull();
    // a lapsed lease is taken by a caller an hour behind
    const orphan = (await store.createRun(makeRun({ status: "running", leaseOwner: "dead", leaseExpiresAt: now - 1 }))).run;
    expect(await store.acquireLease(orphan.id, "behind", 30_000, now - hour)).toMatchObject({ leaseOwner: "behind", leaseExpiresAt: now - hour + 30_000 });
    await store.close();
  });

  it("takes and renews the lease of a run without a concurrency key in one statement each, and still queues one with a key", async () => {
    const store = postgresStore({ connectionString: url, schema: freshSchema() });
    const now = Date.now();
    const free = (await store.createRun(makeRun({ status: "waiting", wakeAt: now, leaseOwner: null, leaseExpiresAt: null }))).run;
    const limit = { key: "k", limit: 1 };
    const holder = (await store.createRun(makeRun({ concurrency: limit }))).run;
    const queued = (await store.createRun(makeRun({ status: "waiting", wakeAt: now, leaseOwner: null, leaseExpiresAt: null, concurrency: limit }))).run;
    // counts the statements our connections send (passed through to the real driver)
    const query = vi.spyOn(pg.Client.prototype, "query");
    const sent = () => query.mock.calls.length;
    try {
      const taken = await store.acquireLease(free.id, "a", 30_000, now);
      expect(taken).toMatchObject({ leaseOwner: "a", fence: free.fence + 1 });
      expect(sent()).toBe(1);
      expect(await store.renewLease(free.id, taken!.fence, 30_000, now)).toBe(true);
      expect(sent()).toBe(2);
      expect(await store.acquireLease(free.id, "b", 30_000, now)).toBeNull();
      expect(sent()).toBe(3);
      // a key's slot is granted under its lock only: the holder keeps the one slot
      expect(await store.acquireLease(queued.id, "b", 30_000, now)).toBeNull();
    } finally {
      query.mockRestore();
    }
    await store.cancelRun(holder.id, "null", Date.now());
    expect(await store.acquireLease(queued.id, "b", 30_000, Date.now())).toMatchObject({ leaseOwner: "b" });
    await store.close();
  });

  it("numbers checkpoints per fence: a late copy writes nothing over a later one, a repeated one answers as it did, a new fence starts over", async () => {
    const store = postgresStore({ connectionString: url, schema: freshSchema() });
    const { run } = await store.createRun(makeRun());
    const cp = (seq: number, state: number, fence = 1, step = `s${state}`) =>
      store.checkpoint({ runId: run.id, fence, seq, step: makeStep(run.id, step, { output: JSON.stringify(`at ${state}`) }), run: { state, stepsDone: state } });
    const query = vi.spyOn(pg.Client.prototype, "query");
    try {
      expect(await cp(1, 1)).toBe(true);
      expect(await cp(2, 2)).toBe(true);
      // one statement each, as without numbers
      expect(query.mock.calls.length).toBe(2);
    } finally {
      query.mockRestore();
    }
    // checkpoint 1 again, landing late (its connection was cut): nothing of it is written, not its step either
    expect(await cp(1, 7, 1, "late")).toBe(false);
    // checkpoint 2 again (a retry of one that committed, its answer lost): answered as it was, nothing written again
    expect(await cp(2, 8, 1, "again")).toBe(true);
    expect(await store.getRun(run.id)).toMatchObject({ state: 2, stepsDone: 2 });
    expect((await store.listSteps(run.id)).map((s) => [s.id, s.output])).toEqual([["s1", '"at 1"'], ["s2", '"at 2"']]);
    // a cancelled run: a repeated checkpoint answers false, as its first attempt did
    const other = (await store.createRun(makeRun())).run;
    await store.cancelRun(other.id, "cancelled", Date.now());
    const cancelled = { runId: other.id, fence: 1, seq: 1, step: makeStep(other.id, "s1"), run: { state: 1 } };
    expect(await store.checkpoint(cancelled)).toBe(false);
    expect(await store.checkpoint(cancelled)).toBe(false);
    expect((await store.listSteps(other.id)).map((s) => s.id)).toEqual(["s1"]);

    // a new lease (acquireLease, claimDue: the fence moves) starts the numbers over; the old fence's copies write nothing
    await store.releaseLease(run.id, 1);
    expect(await store.acquireLease(run.id, "b", 30_000, Date.now())).toMatchObject({ fence: 2 });
    expect(await cp(1, 3, 2)).toBe(true);
    expect(await cp(3, 9, 1, "stale")).toBe(false);
    await store.releaseLease(run.id, 2);
    expect(await store.claimDue([run.endpoint], "c", 30_000, Date.now(), 10)).toMatchObject([{ id: run.id, fence: 3 }]);
    expect(await cp(1, 4, 3)).toBe(true);
    expect(await store.getRun(run.id)).toMatchObject({ state: 4, fence: 3 });
    expect((await store.listSteps(run.id)).map((s) => s.id)).toEqual(["s1", "s2", "s3", "s4"]);
    await store.close();
  });

  it("migrates a database made before checkpoints were numbered: its runs take numbered checkpoints", async () => {
    const schema = freshSchema();
    const before = postgresStore({ connectionString: url, schema });
    const { run } = await before.createRun(makeRun());
    await before.close();
    // back to the schema of version 6, as an older runtime left it
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`ALTER TABLE "${schema}".runs DROP COLUMN checkpoint_seq`);
    await admin.query(`ALTER TABLE "${schema}".waits DROP COLUMN seen`);
    await admin.query(`UPDATE "${schema}".schema_version SET version = 6`);
    const store = postgresStore({ connectionString: url, schema });
    expect(await store.checkpoint({ runId: run.id, fence: 1, seq: 1, step: makeStep(run.id, "a"), run: { state: 1 } })).toBe(true);
    expect(await store.checkpoint({ runId: run.id, fence: 1, seq: 1, step: makeStep(run.id, "late"), run: { state: 9 } })).toBe(true);
    expect(await store.getRun(run.id)).toMatchObject({ state: 1 });
    const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_version`);
    expect(rows).toEqual([{ version: 8 }]);
    await admin.end();
    await store.close();
  });

  it("rejects an unsafe schema name at once", () => {
    expect(() => postgresStore({ connectionString: url, schema: 'x"; DROP TABLE y; --' })).toThrow(/invalid schema name/);
  });

  it("several instances migrating one fresh schema at once all succeed", async () => {
    const schema = freshSchema();
    const stores = Array.from({ length: 6 }, () => postgresStore({ connectionString: url, schema, max: 2 }));
    const runs = await Promise.all(stores.map((s) => s.createRun(makeRun())));
    expect(runs.every((r) => r.created)).toBe(true);
    expect(await stores[0]!.listRuns()).toHaveLength(6);
    await Promise.all(stores.map((s) => s.close()));
  });

  it("reconnects its listener after the connections are cut, and wakes waiters meanwhile", async () => {
    const schema = freshSchema();
    const store = postgresStore({ connectionString: url, schema });
    const other = postgresStore({ connectionString: url, schema });
    const { run } = await store.createRun(makeRun());
    await store.waitForChange(run.id, AbortSignal.timeout(300)); // listener up

    const cut = store.waitForChange(run.id, new AbortController().signal);
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    const { rows } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [appName]);
    await admin.end();
    expect(rows.length).toBeGreaterThan(0);
    // Notifications may have been lost while disconnected: the waiter is woken to re-check.
    await expect(cut).resolves.toBeUndefined();

    // The pool reconnects on demand (a call racing the cut may fail retriably — the engine retries those).
    await expect.poll(() => other.getRun(run.id).catch(() => null), { timeout: 5000 }).toMatchObject({ id: run.id });
    // Re-LISTENed: a change from another instance reaches a new waiter.
    await store.waitForChange(run.id, AbortSignal.timeout(300));
    const changed = store.waitForChange(run.id, AbortSignal.timeout(5000));
    expect(await other.checkpoint({ runId: run.id, fence: 1, run: { status: "completed", result: "ok" }, releaseLease: true })).toBe(true);
    const started = Date.now();
    await changed;
    expect(Date.now() - started).toBeLessThan(4000);
    await Promise.all([store.close(), other.close()]);
  });

  it("NOTIFYs no step checkpoint that only records progress, and the one that finishes the run once", async () => {
    const schema = freshSchema();
    const store = postgresStore({ connectionString: url, schema });
    const { run } = await store.createRun(makeRun());
    const listener = new pg.Client({ connectionString: baseUrl });
    await listener.connect();
    const received: string[] = [];
    const finished = new Promise<void>((resolve) =>
      listener.on("notification", ({ channel, payload }) => {
        received.push(`${channel} ${payload}`);
        if (channel === `durable_run:${schema}`) resolve();
      }),
    );
    await listener.query(`LISTEN "durable_run:${schema}"`);
    await listener.query(`LISTEN "durable_due:${schema}"`);
    for (let i = 1; i <= 5; i++) {
      expect(await store.checkpoint({ runId: run.id, fence: 1, step: makeStep(run.id, `s${i}`), run: { stepsDone: i, state: i, locals: `{"i":${i}}` } })).toBe(true);
    }
    expect(await store.checkpoint({ runId: run.id, fence: 1, run: { status: "completed", result: "done" }, releaseLease: true })).toBe(true);
    // notifications arrive in commit order: one sent by a step checkpoint would be here before the finish's
    await finished;
    expect(received).toEqual([`durable_run:${schema} ${run.id}`]);
    await listener.end();
    await store.close();
  });

  it("close() finishes before a process whose only work left is that close exits (top-level await)", async () => {
    await build({
      entryPoints: [fileURLToPath(new URL("../../src/stores/postgres.ts", import.meta.url))],
      bundle: true, platform: "node", format: "esm", outfile: bundlePath, external: ["pg"], logLevel: "silent",
    });
    // The LISTEN socket is unref'd (alone it must not keep a process alive); the close that ends it must still finish.
    const script = `
      const { postgresStore } = await import(${JSON.stringify(bundlePath)});
      const store = postgresStore({ connectionString: ${JSON.stringify(url)}, schema: ${JSON.stringify(freshSchema())} });
      await store.listRuns({ limit: 1 });
      const warmUp = new AbortController();
      const timer = setTimeout(() => warmUp.abort(), 5000);
      await store.waitForChange("warm-up", warmUp.signal); // resolves once the listener is up (it wakes every waiter)
      clearTimeout(timer); // nothing else keeps the process alive now
      await store.close();
      console.log("closed");`;
    const results = await Promise.all(
      [1, 2, 3].map(() => promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: fileURLToPath(new URL("..", import.meta.url)) }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code?: number; stdout?: string }) => ({ code: error.code, stdout: error.stdout }),
      )),
    );
    expect(results).toEqual([1, 2, 3].map(() => ({ code: 0, stdout: "closed\n" })));
  });
});
