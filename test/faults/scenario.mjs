// One run of the fault suite, end to end the way a client lives through it: app processes (the built
// runtime behind node:http) on a fresh store, the run's request with an Idempotency-Key, its poll URL
// followed through whichever instance answers, the event sent at the planned moment, the planned fault
// injected (SIGKILL, a cut or stalled Postgres connection, a database outage, a held SQLite lock) and
// a second instance taking over. Returns what was observed; checks.mjs judges it.
import { appendFileSync, closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { crashEnv } from "../support/app-child.mjs";
import { startPgProxy } from "../support/pg-proxy.mjs";
import { postgresUrl } from "../support/postgres.mjs";
import { startApp } from "../support/processes.mjs";

const APP_SERVER = fileURLToPath(new URL("../support/app-server.mjs", import.meta.url));
const EVENT_SENDER = fileURLToPath(new URL("./event-sender.mjs", import.meta.url));
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
  /** The separate sender process (event-sender.mjs) on the same store, started when a send goes through it. */
  let sender = null;
  const startSender = async (skewMs) => {
    const url = postgres ? postgresUrl(proxy.url(ctx.pgUrl), { schema: key, application_name: "sender" }) : `sqlite://${sqlitePath}`;
    const skewed = skewMs === 0 ? {} : { nodeArgs: ["--import", SKEWED_CLOCK], env: { FAULT_CLOCK_SKEW_MS: String(skewMs) } };
    const server = await startApp(EVENT_SENDER, { nodeArgs: skewed.nodeArgs, env: { DURABLE_STORE_URL: url, ...skewed.env } });
    observed.clocks[server.pid] = skewMs;
    observed.senderPid = server.pid;
    return { name: "sender", server, dead: false };
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
    // a separate sender process, started beside the first instance: skewed like one of the instances (the one ahead, or the one behind)
    if (plan.sends.some((send) => send.via === "sender")) (sender = startSender(skew)).catch((error) => (observed.error ??= `the sender did not start: ${error}`));
    // skewed clocks: the first instance (behind, or true while the second is ahead) takes the request
    await start("p1", { ...crashEnv({ afterCheckpoint: fault.afterCheckpoint, atProbe: fault.atProbe }), ...(fault.lockAt && { FAULT_LOCK_AT: fault.lockAt }) }, Math.min(skew, 0));
    // a paused or cut-off instance is taken over by another one that is up all along; one ahead takes leases early
    if (fault.kind === "stall-past-lease" || fault.kind === "outage" || fault.kind === "skewed-clock") await start("p2", {}, Math.max(skew, 0));
    const orphan = armFault(fault, proxy, observed, timers, { ledger, deadline });
    const lock = fault.kind === "write-lock-held" ? holdWriteLockWhenAsked({ ledger, sqlitePath, deadline, observed }) : null;

    // after a wait was saved: beyond the skew, so an event sent then is surely later than its `since`
    const events = sendEvents(plan.sends, { ledger, key, instance, sender, deadline, observed, afterSavedMs: skew === 0 ? 0 : Math.abs(skew) + 100 });
    await events.beforeRun;
    // skewed clocks: the polls go to the instance ahead, which drives the run when it is due by its clock
    const route = fault.kind === "skewed-clock" ? { first: apps[0], then: apps[1] } : {};
    observed.response = await drive({ key, instance, deadline, apps, ...route });
    await events.all;
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
    await Promise.all([...apps.map((app) => app.server.kill("SIGTERM")), sender?.then((app) => app.server.kill("SIGTERM"), () => {})]);
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

/** The ledger's lines added since the last call (a reader that keeps its place in the file). */
function ledgerTail(path) {
  let offset = 0;
  let partial = Buffer.alloc(0);
  return () => {
    const fd = openSync(path, "r");
    try {
      const chunks = [partial];
      for (let n, buffer; (n = readSync(fd, (buffer = Buffer.allocUnsafe(16 * 1024)), 0, buffer.length, offset)) > 0; offset += n) chunks.push(buffer.subarray(0, n));
      const bytes = Buffer.concat(chunks);
      const end = bytes.lastIndexOf(0x0a) + 1; // complete lines only
      partial = bytes.subarray(end);
      return bytes.subarray(0, end).toString("utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
    } finally {
      closeSync(fd);
    }
  };
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

/** What each moment of plan.mjs's EVENT_MOMENTS waits for in the run's ledger ("at-random", "before-run" and "after-run" wait for none). */
const MOMENTS = {
  "first-in-flight": (e) => e.kind === "wait-began" && (e.step === "approval" || e.step === "twin"),
  "first-saved": (e) => e.kind === "checkpoint" && (e.step === "approval" || e.step === "twin") && e.status === "waiting" && e.outcome === "ok",
  "first-received": (e) => e.kind === "mark" && e.j === 5,
  "second-in-flight": (e) => e.kind === "wait-began" && e.step === "second",
  "second-saved": (e) => e.kind === "checkpoint" && e.step === "second" && e.status === "waiting" && e.outcome === "ok",
};

/**
 * Sends the run's events at their planned moments, each retried with the same id until a process took it:
 * through a live instance of the run, or the separate sender process. A moment the run never reached
 * before its final Response: sent then. `beforeRun`: the sends planned before the run's request are done;
 * `all`: every send is. `observed.sends`: each send's id, first attempt (s0), success (s1) and process.
 */
function sendEvents(sends, { ledger, key, instance, sender, deadline, observed, afterSavedMs }) {
  const started = now();
  const tail = ledgerTail(ledger);
  const reachedAt = new Map();
  /** the moments reached so far: the ledger's new lines, read at most every 4 ms whoever asks */
  let readAt = -Infinity;
  const update = () => {
    if (now() - readAt < 4) return;
    readAt = now();
    for (const entry of tail()) for (const [at, predicate] of Object.entries(MOMENTS)) if (!reachedAt.has(at) && predicate(entry)) reachedAt.set(at, entry.t);
  };
  const reached = (at) => async () => {
    if (at === "at-random" || at === "before-run") return;
    // after-run: once the final Response is in; any other moment the run never reached before it: then too
    while (observed.response === null && now() < deadline) {
      if (MOMENTS[at]) {
        update();
        if (reachedAt.has(at)) return at.endsWith("-saved") ? sleep(afterSavedMs) : undefined;
      }
      await sleep(MOMENTS[at] ? 4 : 20);
    }
  };
  const one = async (plan) => {
    await reached(plan.at)();
    const wait = (plan.at === "at-random" ? started + plan.delayMs : now() + plan.delayMs) - now();
    if (wait > 0) await sleep(wait);
    const sent = { event: plan.event, id: `evt-${key}-${plan.event}`, at: plan.at, via: plan.via, s0: now(), s1: null, attempts: 0, late: observed.response !== null && plan.at !== "after-run" };
    observed.sends.push(sent);
    sent.tsOffsetMs = plan.tsOffsetMs;
    const event = { name: "fault/approved", id: sent.id, data: { id: key, n: plan.event } };
    while (now() < deadline) {
      sent.attempts++;
      // an explicit ts: the driver's clock (the machine's) at this attempt, moved by the plan's offset
      const body = JSON.stringify(plan.tsOffsetMs ? { ...event, ts: now() + plan.tsOffsetMs } : event);
      const app = plan.via === "sender" ? await sender.catch(() => null) : await instance();
      const res = app && (await request(app, "/send", { method: "POST", headers: { "content-type": "application/json" }, body }, deadline));
      if (res?.status === 200) {
        sent.s1 = now();
        sent.through = app.name;
        sent.pid = app.server.pid;
        return;
      }
      await sleep(50);
    }
  };
  const early = sends.filter((plan) => plan.at === "before-run");
  const beforeRun = Promise.all(early.map(one));
  const later = sends.filter((plan) => plan.at !== "before-run");
  // the late ones begin once the run's request was sent (after beforeRun)
  const all = beforeRun.then(() => Promise.all(later.map(one)));
  return { beforeRun, all: all.then(() => {}) };
}

/** The run as the store holds it at the end. */
async function storedRun(postgres, pgUrl, key, sqlitePath) {
  if (postgres) {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT status FROM "${key}".runs`);
      // evidence for a failing run: the events and the wait's step as stored
      const events = (await client.query(`SELECT id, ts FROM "${key}".events`)).rows.map((e) => ({ id: e.id, ts: Number(e.ts) }));
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
    const events = db.prepare("SELECT id, ts FROM events").all().map((e) => ({ id: e.id, ts: Number(e.ts) }));
    return Object.assign(db.prepare("SELECT status FROM runs").all(), { events });
  } finally {
    db.close();
  }
}
