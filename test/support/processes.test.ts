/**
 * App processes from test/support: a child running an endpoint over SQLite or Postgres kills itself
 * at the chosen point (after checkpoint N, at a named probe), a second process takes the run over
 * through the same Idempotency-Key, and many such pairs run at once. Children run the BUILT runtime.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startPgProxy } from "./pg-proxy.mjs";
import { crashAndTakeOver, inParallel, startApp, type RunningServer } from "./processes.mjs";
import { postgresUrl, testPostgresUrl } from "./postgres.mjs";

const APP_SERVER = fileURLToPath(new URL("./app-server.mjs", import.meta.url));
const APP = fileURLToPath(new URL("./fixtures/two-steps.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "support-processes-"));
const schemaPrefix = `support_processes_${process.pid}_`;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client(testPostgresUrl());
  await admin.connect();
  const { rows } = await admin.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", [schemaPrefix]);
  for (const { nspname } of rows) await admin.query(`DROP SCHEMA "${nspname}" CASCADE`);
  await admin.end();
});

let pairs = 0;

/**
 * One crash-and-takeover pair on a store of its own; which steps of its run each process ran.
 * `through` re-points process 1's Postgres URL (at a fault proxy).
 */
async function pair(store: "sqlite" | "postgres", crash: Parameters<typeof crashAndTakeOver>[0]["crash"], through = (url: string) => url) {
  const n = ++pairs;
  const log = join(dir, `${n}.log`);
  const storeUrl = store === "sqlite" ? `sqlite://${join(dir, `${n}.db`)}` : postgresUrl(testPostgresUrl(), { schema: `${schemaPrefix}${n}` });
  const start = (env: Record<string, string>, incarnation: 1 | 2) =>
    startApp(APP_SERVER, {
      args: [APP],
      env: { DURABLE_STORE_URL: incarnation === 1 ? through(storeUrl) : storeUrl, DURABLE_LEASE_MS: "300", APP_LOG: log, ...env },
    });
  const outcome = await crashAndTakeOver({ start, crash, request: (server) => finalResponse(server, `run-${n}`) });
  const lines = readFileSync(log, "utf8").trim().split("\n").map((line) => line.split(" "));
  const [first, second] = outcome.servers.map((s) => s.pid);
  const ranIn = (pid: number | undefined) => lines.filter(([p, id]) => Number(p) === pid && id === `run-${n}`).map(([, , step]) => step);
  return { ...outcome, id: `run-${n}`, first: ranIn(first), second: ranIn(second), response: outcome.second ?? outcome.first };
}

/** The run's final answer, as a client gets it: the request with an Idempotency-Key, then poll. */
async function finalResponse(server: RunningServer, id: string) {
  for (;;) {
    const res = await fetch(`${server.url}/run?id=${id}`, { headers: { "idempotency-key": id } });
    if (res.status !== 202) return { status: res.status, body: await res.json() };
  }
}

describe.each(["sqlite", "postgres"] as const)("on %s", (store) => {
  it("crash right after checkpoint 1: the second process runs only step b", async () => {
    const run = await pair(store, { afterCheckpoint: 1 });
    expect(run.killed).toBe(true);
    expect(run.response).toEqual({ status: 200, body: { id: run.id, a: 1, b: 2 } });
    expect(run.first).toEqual(["a"]);
    expect(run.second).toEqual(["b"]);
  });

  it("crash at a probe inside step b: b ran in both processes, a only in the first", async () => {
    const run = await pair(store, { atProbe: "in-b" });
    expect(run.killed).toBe(true);
    expect(run.response).toEqual({ status: 200, body: { id: run.id, a: 1, b: 2 } });
    expect(run.first).toEqual(["a", "b"]);
    expect(run.second).toEqual(["b"]);
  });
});

it("SIGKILL at a SQL statement (fault proxy): process 1 dies right after step a's checkpoint committed", async () => {
  const proxy = await startPgProxy({ target: testPostgresUrl() });
  try {
    const checkpointA = proxy.fault({ action: "stall", after: /INSERT INTO \S+steps/, connection: (c) => c.applicationName === "first" });
    const run = await pair("postgres", { when: () => checkpointA.fired }, (url) => postgresUrl(proxy.url(url), { application_name: "first" }));
    expect(run.killed).toBe(true);
    expect(run.response).toEqual({ status: 200, body: { id: run.id, a: 1, b: 2 } });
    expect(run.first).toEqual(["a"]);
    expect(run.second).toEqual(["b"]);
  } finally {
    await proxy.close();
  }
});

it("a crash point never reached: the first process answers and is not counted as killed", async () => {
  const run = await pair("sqlite", { atProbe: "no-such-probe" });
  expect(run.killed).toBe(false);
  expect(run.response).toEqual({ status: 200, body: { id: run.id, a: 1, b: 2 } });
  expect(run.first).toEqual(["a", "b"]);
});

it("many pairs at once (the machine loaded), probes counted per occurrence", async () => {
  const runs = await inParallel(12, (i) => pair(i % 2 ? "postgres" : "sqlite", { atProbe: "between#1" }), { concurrency: 4 });
  for (const run of runs) {
    expect(run.killed).toBe(true);
    expect(run.response.body).toEqual({ id: run.id, a: 1, b: 2 });
    expect([run.first, run.second]).toEqual([["a"], ["b"]]);
  }
});
