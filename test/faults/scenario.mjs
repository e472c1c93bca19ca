// One run of the fault suite, end to end the way a client lives through it: app processes (the built
// runtime behind node:http) on a fresh store, the run's request with an Idempotency-Key, its poll URL
// followed through whichever instance answers, the event sent at the planned moment, the planned fault
// injected (SIGKILL, a cut or stalled Postgres connection, a database outage, a held SQLite lock) and
// a second instance taking over. Returns what was observed; checks.mjs judges it.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { crashEnv } from "../support/app-child.mjs";
import { startPgProxy } from "../support/pg-proxy.mjs";
import { postgresUrl } from "../support/postgres.mjs";
import { startApp } from "../support/processes.mjs";

const APP_SERVER = fileURLToPath(new URL("../support/app-server.mjs", import.meta.url));
const SKEWED_CLOCK = new URL("./skewed-clock.mjs", import.meta.url).href;
export const LEASE_MS = 500;
/** SQLite's default busy timeout (sqliteStore) plus a second: the held lock makes writers fail. */
const LOCK_HOLD_MS = 6000;
const STALL_MS = 3 * LEASE_MS;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Date.now(): the clock of the app processes' ledgers and — unless skewed — of the runtime's `since` and event `ts` (one machine). */
export const now = () => Date.now();

/**
 * @param {{ dir: string, tag: string, pgUrl?: string, modules: { plain: string, compiled?: string }, deadlineMs: number }} ctx
 * @param {ReturnType<typeof import("./plan.mjs").makePlans>[number]} plan
 */
export async function runScenario(ctx, plan) {
  const key = `f${plan.index}_${ctx.tag}`;
  const ledger = join(ctx.dir, `${key}.jsonl`);
  writeFileSync(ledger, "");
  const deadline = now() + ctx.deadlineMs;
  /** clocks: each app process's clock skew (ms ahead of the machine's), by pid */
  const observed = { plan, key, ledger, fired: false, exits: [], sends: [], clocks: {}, response: null, replay: null, stored: null, error: null, started: now() };
  const postgres = plan.store === "postgres";
  const proxy = postgres ? await startPgProxy({ target: ctx.pgUrl }) : null;
  const sqlitePath = join(ctx.dir, `${key}.db`);
  const module = plan.compiled ? ctx.modules.compiled : ctx.modules.plain;
  /** @type {{ name: string, server: import("../support/processes.mjs").RunningServer, dead: boolean }[]} */
  const apps = [];
  const timers = [];

  const start = async (name, env = {}, skewMs = 0) => {
    const url = postgres ? postgresUrl(proxy.url(ctx.pgUrl), { schema: key, application_name: name }) : `sqlite://${sqlitePath}`;
    const skewed = skewMs === 0 ? {} : { nodeArgs: ["--import", SKEWED_CLOCK], env: { FAULT_CLOCK_SKEW_MS: String(skewMs) } };
    const server = await startApp(APP_SERVER, {
      args: [module],
      nodeArgs: skewed.nodeArgs,
      env: { DURABLE_STORE_URL: url, DURABLE_LEASE_MS: String(LEASE_MS), FAULT_LEDGER: ledger, FAULT_WAIT_TIMEOUT_MS: String(plan.waitTimeoutMs), ...skewed.env, ...env },
    });
    observed.clocks[server.pid] = skewMs;
    const app = { name, server, dead: false };
    void server.exited.then(({ code, signal }) => {
      app.dead = true;
      observed.exits.push({ name, pid: server.pid, code, signal, t: now() });
      if (signal === "SIGKILL") observed.fired = true;
    });
    apps.push(app);
    return app;
  };
  const live = () => apps.filter((app) => !app.dead);
  let replacing = null;
  /** A live instance; when none is left (the first was killed), one new instance takes over. */
  const instance = async () => {
    const alive = live();
    if (alive.length > 0) return alive[Math.floor(Math.random() * alive.length)];
    replacing ??= start(`p${apps.length + 1}`).finally(() => (replacing = null));
    return replacing;
  };

  try {
    const { fault } = plan;
    const skew = fault.skewMs ?? 0;
    // skewed clocks: the first instance (behind, or true while the second is ahead) takes the request
    await start("p1", { ...crashEnv({ afterCheckpoint: fault.afterCheckpoint, atProbe: fault.atProbe }), ...(fault.lockAt && { FAULT_LOCK_AT: fault.lockAt }) }, Math.min(skew, 0));
    // a paused or cut-off instance is taken over by another one that is up all along; one ahead takes leases early
    if (fault.kind === "stall-past-lease" || fault.kind === "outage" || fault.kind === "skewed-clock") await start("p2", {}, Math.max(skew, 0));
    const orphan = armFault(fault, proxy, observed, timers, { ledger, deadline });
    const lock = fault.kind === "write-lock-held" ? holdWriteLockWhenAsked({ ledger, sqlitePath, deadline, observed }) : null;

    // after the wait was saved: beyond the skew, so an event sent then is surely later than its `since`
    const event = sendEventWhen(plan.event, { ledger, key, instance, deadline, observed, afterSavedMs: skew === 0 ? 0 : Math.abs(skew) + 100 });
    if (plan.event === "before-wait") await event;
    // skewed clocks: the polls go to the instance ahead, which drives the run when it is due by its clock
    const route = fault.kind === "skewed-clock" ? { first: apps[0], then: apps[1] } : {};
    observed.response = await drive({ key, instance, deadline, apps, ...route });
    await event;
    // the orphaned statement is in (the replay below and the checks see what it did)
    if (orphan) observed.delivered = await orphan;
    // the final Response is stored: asking again (any instance, same key) gets it again, exactly
    observed.replay = await drive({ key, instance, deadline, apps });
    // a paused instance wakes up after its stall: whatever it does then counts too
    if (fault.kind === "stall-past-lease" && observed.fired) await sleep(STALL_MS + LEASE_MS);
    await lock;
    // skewed clocks: both instances worked on the run
    if (skew !== 0) observed.fired = new Set(readLedger(ledger).filter((e) => e.kind === "checkpoint-sent").map((e) => e.pid)).size > 1;
  } catch (error) {
    observed.error = String(error?.stack ?? error);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(apps.map((app) => app.server.kill("SIGTERM")));
    observed.stored = await storedRun(postgres, ctx.pgUrl, key, sqlitePath).catch((error) => ({ error: String(error) }));
    if (proxy) {
      // what the proxy did, as evidence for a failing run
      observed.faultEvents = proxy.events.map((e) => ({ action: e.action, applicationName: e.applicationName, sql: e.sql?.slice(0, 120), at: e.at }));
      await proxy.close();
    }
    observed.finished = now();
  }
  observed.log = readLedger(ledger);
  return observed;
}

export function readLedger(path) {
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/**
 * Arms the plan's fault: on the proxy (Postgres), or on a timer (outage). An orphaned statement: returns a
 * promise that hands it to the server once two more checkpoints committed after it was orphaned (or the
 * run's Response is in) and resolves when the server answered it: the time, or null if it never fired.
 */
function armFault(fault, proxy, observed, timers, { ledger, deadline }) {
  if (fault.kind === "orphan-statement") {
    const armed = proxy.fault({ action: "orphan", before: /^WITH run AS \(UPDATE/, inTransaction: false, skip: fault.statement, connection: (c) => c.applicationName === "p1", name: fault.kind });
    let firedAt = null;
    void armed.fired.then(() => {
      observed.fired = true;
      firedAt = readLedger(ledger).length;
    });
    const committedSince = () => readLedger(ledger).slice(firedAt).filter((e) => e.kind === "checkpoint" && e.outcome === "ok").length;
    return (async () => {
      while ((firedAt === null || committedSince() < 2) && observed.response === null && now() < deadline) await sleep(5);
      if (firedAt === null) return null;
      return (await armed.deliver()).at;
    })().catch((error) => `not delivered: ${error.message}`);
  }
  const p1 = (connection) => connection.applicationName === "p1";
  const rule = {
    "cut-before-statement": { before: /./ },
    "cut-after-statement": { after: /./ },
    "cut-mid-transaction": { before: /./, inTransaction: true },
    "stall-past-lease": { action: "stall", after: /./, stallMs: STALL_MS },
  }[fault.kind];
  if (rule) {
    const armed = proxy.fault({ ...rule, skip: fault.statement, connection: p1, name: fault.kind });
    void armed.fired.then(() => (observed.fired = true));
  }
  if (fault.kind === "outage") {
    timers.push(
      setTimeout(() => {
        proxy.down();
        observed.fired = true;
        timers.push(setTimeout(() => proxy.up(), fault.forMs));
      }, fault.afterMs),
    );
  }
}

/**
 * Another process's long write transaction, as a batch job or a backup would hold it — taken when the
 * run stands at the planned point ("lock-wanted", see fault-app.mjs), which it leaves once the lock is
 * held ("lock-held"): its next write meets the lock. `observed.writesBlocked`: checkpoints sent, and store calls failed as unavailable, while held.
 */
async function holdWriteLockWhenAsked({ ledger, sqlitePath, deadline, observed }) {
  const asked = () => readLedger(ledger).some((e) => e.kind === "lock-wanted");
  while (!asked()) {
    if (observed.response || now() > deadline) return; // the run never reached the point
    await sleep(5);
  }
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(sqlitePath, { fileMustExist: true, timeout: 10_000 });
  try {
    db.exec("BEGIN IMMEDIATE");
    const held = now();
    appendFileSync(ledger, `${JSON.stringify({ t: held, pid: process.pid, kind: "lock-held" })}\n`);
    observed.fired = true;
    await sleep(LOCK_HOLD_MS);
    db.exec("COMMIT");
    const released = now();
    const blocked = (e) => e.kind === "checkpoint-sent" || (e.kind === "store-error" && e.error.includes("store unavailable"));
    observed.writesBlocked = readLedger(ledger).filter((e) => blocked(e) && e.t >= held && e.t <= released + 100).length;
  } catch (error) {
    observed.lockError = String(error);
  } finally {
    db.close();
  }
}

const start_ = (key) => ({ method: "POST", headers: { "idempotency-key": key, "content-type": "application/json" }, body: "{}" });

/** The run's request (to `first`, if given), then its poll URL (to `then`, if given), through live instances, until the final Response. */
async function drive({ key, instance, deadline, apps, first, then }) {
  let location = null;
  let next = first;
  while (now() < deadline) {
    const app = next && !next.dead ? next : await instance();
    next = then;
    // after a failure, sometimes retry the original request (same key), sometimes keep polling
    const res = await request(app, location ?? `/run?id=${key}`, location ? { method: "GET" } : start_(key), deadline);
    if (res === null) {
      if (Math.random() < 0.5) location = null;
      await sleep(50);
      continue;
    }
    if (res.status === 303 || res.status === 202) {
      location = res.location ?? location;
      continue;
    }
    if (res.status === 503) {
      await sleep(100);
      continue;
    }
    return res;
  }
  throw new Error(`run ${key} unfinished at its deadline (instances: ${apps.map((a) => `${a.name}${a.dead ? " dead" : ""}`).join(", ")})`);
}

/** One HTTP exchange; null when the instance died under it or did not answer in time. */
async function request(app, path, init, deadline) {
  try {
    const timeout = Math.max(100, Math.min(5000, deadline - now()));
    const res = await fetch(app.server.url + path, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeout) });
    return { status: res.status, location: res.headers.get("location"), body: await res.text() };
  } catch {
    return null;
  }
}

/** Sends the run's event at the planned moment (retried with the same id until an instance takes it). */
async function sendEventWhen(timing, { ledger, key, instance, deadline, observed, afterSavedMs }) {
  if (timing === "never") return;
  const seen = (predicate) => readLedger(ledger).some(predicate);
  if (timing === "while-wait-in-flight") while (!seen((e) => e.kind === "wait-began") && now() < deadline) await sleep(5);
  if (timing === "after-wait-saved") {
    while (!seen((e) => e.kind === "checkpoint" && e.step === "approval" && e.status === "waiting" && e.outcome === "ok") && now() < deadline) await sleep(10);
    await sleep(afterSavedMs);
  }
  const sent = { s0: now(), s1: null, attempts: 0 };
  observed.sends.push(sent);
  const body = JSON.stringify({ name: "fault/approved", id: `evt-${key}`, data: { id: key } });
  while (now() < deadline) {
    sent.attempts++;
    const app = await instance();
    const res = await request(app, "/send", { method: "POST", headers: { "content-type": "application/json" }, body }, deadline);
    if (res?.status === 200) {
      sent.s1 = now();
      sent.through = app.name;
      return;
    }
    await sleep(50);
  }
}

/** The run as the store holds it at the end. */
async function storedRun(postgres, pgUrl, key, sqlitePath) {
  if (postgres) {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT status FROM "${key}".runs`);
      // evidence for a failing run: the events and the wait's step as stored
      const events = (await client.query(`SELECT id, ts FROM "${key}".events`)).rows;
      const steps = (await client.query(`SELECT id, status, updated_at FROM "${key}".steps WHERE kind = 'waitForEvent'`)).rows;
      await client.query(`DROP SCHEMA IF EXISTS "${key}" CASCADE`);
      return Object.assign(rows, { events, steps });
    } finally {
      await client.end();
    }
  }
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT status FROM runs").all();
  } finally {
    db.close();
  }
}
