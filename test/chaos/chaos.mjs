// "Many app instances, one durable state — proven under chaos": N runs driven round-robin through
// several worker processes on one Postgres schema while a killer SIGKILLs a random worker every few
// hundred ms and Postgres restarts once mid-run. Postgres is a private cluster started for the run
// (never the shared server). Returns a report; verdict.mjs judges it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startPostgresCluster } from "../support/postgres-cluster.mjs";
import { Cluster } from "./cluster.mjs";
import { checkEffects, checkFencing, checkResponses, executions, overlaps, sameResponse } from "./checks.mjs";
import { driveRun, request, startRequest } from "./driver.mjs";
import { LEDGER_DDL, persistently } from "./ledger.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENDPOINT = fileURLToPath(new URL("./chaos-endpoint.mjs", import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {object} options
 * @param {number} options.runs            how many runs to drive
 * @param {number} [options.workers=3]     app instances
 * @param {number} [options.concurrency=24] runs in flight at once
 * @param {[number, number]} [options.killEveryMs=[200, 600]]  pause (random in range) between a
 *   replacement coming up and the next kill
 * @param {boolean} [options.restartPostgres=true]  once, when 40% of the runs are done
 * @param {number} [options.outageMs=3000]  how long Postgres stays down in that restart (a system
 *   service's restart took 3–6 s; a private cluster would be back in ~100 ms and test little)
 * @param {number} [options.leaseMs=2000]
 * @param {number} [options.runTimeoutMs=180000]  a run not finished this long after it started is a failure
 * @param {(line: string) => void} [options.log]
 */
export async function runChaos(options) {
  const postgres = await startPostgresCluster();
  options.log?.(`private PostgreSQL ${postgres.version} (${postgres.binaries} binaries) on port ${postgres.port}`);
  try {
    return await chaosOn(postgres, options);
  } finally {
    await postgres.destroy();
  }
}

async function chaosOn(postgres, {
  runs,
  workers = 3,
  concurrency = 24,
  killEveryMs = [200, 600],
  restartPostgres = true,
  outageMs = 3000,
  leaseMs = 2000,
  runTimeoutMs = 180_000,
  log = () => {},
}) {
  const pgUrl = postgres.url;
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const schemas = { store: `chaos_store_${tag}`, ledger: `chaos_ledger_${tag}` };
  const admin = new pg.Pool({ connectionString: pgUrl, max: 2 });
  admin.on("error", () => {});
  for (const sql of LEDGER_DDL(schemas.ledger)) await admin.query(sql);

  const compiled = await compileEndpoint(tag);
  log(compiled.path ? `compiled endpoint: ${compiled.path}` : `compiled endpoint unavailable: ${compiled.reason}`);
  const paths = compiled.path ? ["/plain", "/compiled"] : ["/plain"];

  const cluster = new Cluster({
    env: {
      CHAOS_PG_URL: pgUrl,
      CHAOS_STORE_SCHEMA: schemas.store,
      CHAOS_LEDGER_SCHEMA: schemas.ledger,
      CHAOS_COMPILED: compiled.path ?? "",
      DURABLE_LEASE_MS: String(leaseMs),
    },
    onKill: (pid) => persistently(admin, `INSERT INTO "${schemas.ledger}".kills (pid) VALUES ($1)`, [pid]),
  });
  const outage = { from: null, to: null, tookMs: null, done: Promise.resolve() };
  const killer = { on: true, done: Promise.resolve() };
  try {
    await cluster.start(workers);
    log(`${workers} workers up; driving ${runs} runs (${paths.join(" + ")}), killing one ${killEveryMs.join("–")} ms after the last replacement is up`);
    killer.done = (async () => {
      while (killer.on) {
        await sleep(killEveryMs[0] + Math.random() * (killEveryMs[1] - killEveryMs[0]));
        if (killer.on) await cluster.killRandom();
      }
    })();

    const stats = { requests: 0, events: 0, connectionErrors: 0, statuses: {} };
    const started = Date.now();
    const results = await driveAll({ runs, paths, tag, cluster, stats, concurrency, runTimeoutMs }, (done) => {
      if (restartPostgres && outage.from === null && done >= runs * 0.4) {
        log(`restarting Postgres after ${done} runs`);
        outage.from = Date.now();
        outage.done = postgres.restart({ downMs: outageMs }).then((ms) => {
          Object.assign(outage, { tookMs: ms, to: Date.now() });
          log(`Postgres back after ${ms} ms`);
        });
      }
      if (done % Math.max(1, Math.floor(runs / 10)) === 0) log(`${done}/${runs} runs done, ${cluster.kills} kills`);
    });
    const wallMs = Date.now() - started;
    killer.on = false;
    await Promise.all([killer.done, outage.done]);
    const replayMismatches = await replayFinals(results, cluster, stats);
    await cluster.stop();

    const evidence = await readEvidence(admin, schemas, results);
    const unfinished = await describeUnfinished(admin, schemas, results);
    // A wasted execution "explained by the outage" must have touched it, give or take a lease.
    evidence.outage = outage.from === null ? null : { from: outage.from - 1000, to: outage.to + leaseMs + 1000 };
    const execs = executions(evidence.ledger, evidence.kills);
    const fencing = checkFencing(evidence.checkpoints);
    // Every committed checkpoint: step outcomes, retries scheduled, suspensions, finishes.
    const checkpoints = fencing.accepted;
    return {
      runs,
      endpoints: paths,
      compiled: compiled.path ? "yes" : `no (${compiled.reason})`,
      workers,
      wallMs,
      runsPerSecond: round(runs / (wallMs / 1000)),
      checkpoints,
      checkpointsPerSecond: round(checkpoints / (wallMs / 1000)),
      kills: cluster.kills,
      msBetweenKills: cluster.kills > 0 ? Math.round(wallMs / cluster.kills) : null,
      unexpectedExits: cluster.unexpectedExits,
      postgresRestart: restartPostgres ? { tookMs: outage.tookMs, atRun: Math.ceil(runs * 0.4) } : null,
      http: stats,
      storedRuns: Object.fromEntries(evidence.stored.map((row) => [row.status, row.n])),
      wrongResponses: checkResponses(results),
      unfinished,
      replayMismatches,
      effects: checkEffects(results.map((r) => r.key), execs, evidence),
      fencing,
      overlaps: overlaps(execs, evidence),
    };
  } finally {
    killer.on = false;
    await outage.done.catch(() => {});
    await cluster.stop().catch(() => {});
    if (compiled.dir) rmSync(compiled.dir, { recursive: true, force: true });
    await admin.end();
  }
}

/** `concurrency` drivers take runs round-robin over the endpoints; `onDone(count)` after each run. */
async function driveAll({ runs, paths, tag, cluster, stats, concurrency, runTimeoutMs }, onDone) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < runs) {
        const index = next++;
        const deadline = Date.now() + runTimeoutMs;
        results.push(await driveRun({ cluster, path: paths[index % paths.length], key: `run-${tag}-${index}`, index, stats, deadline }));
        onDone(results.length);
      }
    }),
  );
  return results;
}

/** Every instance replays a stored final Response: the poll URL, or the same Idempotency-Key again. */
async function replayFinals(results, cluster, stats) {
  const mismatches = [];
  for (const r of results.filter((r) => r.final)) {
    const again = r.location
      ? await request(cluster.pick(), r.location, { method: "GET" }, stats)
      : await request(cluster.pick(), `${r.path}?id=${r.key}`, startRequest(r.key, r.index), stats);
    if (!sameResponse(again, r.key)) mismatches.push({ key: r.key, got: again });
  }
  return mismatches;
}

/** The ledger (ms timestamps from Postgres's clock), the kills, the checkpoint log and the store's runs. */
async function readEvidence(admin, schemas, results) {
  const ms = (column) => `(extract(epoch FROM ${column}) * 1000)::float8 AS ${column}`;
  const rows = async (sql) => (await persistently(admin, sql)).rows;
  return {
    ledger: await rows(`SELECT run, step, pid, phase, ${ms("at")} FROM "${schemas.ledger}".ledger ORDER BY seq`),
    kills: await rows(`SELECT pid, ${ms("at")} FROM "${schemas.ledger}".kills`),
    checkpoints: await rows(`SELECT run_id, step, status, pid, fence::int AS fence, ok, ${ms("at")} FROM "${schemas.ledger}".checkpoints ORDER BY seq`),
    stored: await rows(`SELECT status, count(*)::int AS n FROM "${schemas.store}".runs GROUP BY status`),
    runIds: new Map(results.map((r) => [r.key, r.final?.runId])),
  };
}

/** What the store and the logs hold for runs that never finished: the report's evidence for a bug hunt. */
async function describeUnfinished(admin, schemas, results) {
  const described = [];
  for (const r of results.filter((r) => r.error && r.location)) {
    const runId = new URL(r.location, "http://x").searchParams.get("__durable").split(".")[0];
    const rows = async (sql, values) => (await persistently(admin, sql, values)).rows;
    described.push({
      key: r.key,
      runId,
      run: (await rows(`SELECT status, state, version, wake_at, lease_owner, lease_expires_at, fence, steps_done, updated_at FROM "${schemas.store}".runs WHERE id = $1`, [runId]))[0],
      steps: await rows(`SELECT id, status, attempts, wake_at, updated_at FROM "${schemas.store}".steps WHERE run_id = $1 ORDER BY started_at, seq`, [runId]),
      waits: await rows(`SELECT step_id, since, timeout_at FROM "${schemas.store}".waits WHERE run_id = $1`, [runId]),
      events: await rows(`SELECT count(*)::int AS n, min(ts) AS first, max(ts) AS last FROM "${schemas.store}".events WHERE data LIKE $1`, [`%${r.key}"%`]),
      checkpoints: await rows(`SELECT step, status, pid, fence, ok, at FROM "${schemas.ledger}".checkpoints WHERE run_id = $1 ORDER BY seq`, [runId]),
    });
  }
  return described;
}

/** The chaos endpoint compiled by the transform, next to a node_modules the runtime resolves from. */
async function compileEndpoint(tag) {
  let transform;
  try {
    ({ transform } = await import("@durable-endpoints/transform"));
  } catch (error) {
    return { reason: `transform not importable: ${error.message}` };
  }
  let result;
  try {
    result = transform(readFileSync(ENDPOINT, "utf8"), { filename: ENDPOINT, root: ROOT });
  } catch (error) {
    return { reason: `the transform crashed: ${error.message}` };
  }
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { reason: errors.map((d) => `${d.code} ${d.message}`).join("; ") };
  if (result.endpoints.length === 0) return { reason: "the transform found no endpoint" };
  const dir = `${ROOT}node_modules/.cache/chaos-${tag}`;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/chaos-endpoint.compiled.mjs`;
  // The copy lives elsewhere: point its one relative import back at the source tree.
  writeFileSync(path, result.code.replace(`"./expected.mjs"`, JSON.stringify(new URL("./expected.mjs", import.meta.url).href)));
  return { path, dir };
}

const round = (n) => Math.round(n * 10) / 10;
