// "Many app instances, one durable state — proven under chaos": N runs driven round-robin through
// several worker processes on one Postgres schema while a killer SIGKILLs a random worker every few
// hundred ms and Postgres restarts once mid-run. Returns a report; the caller asserts on it.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { Cluster } from "./cluster.mjs";
import { driveRun, request } from "./driver.mjs";
import { checkEffects, checkFencing, checkResponses, executions, overlaps, sameResponse } from "./checks.mjs";
import { LEDGER_DDL, persistently } from "./ledger.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENDPOINT = fileURLToPath(new URL("./chaos-endpoint.mjs", import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * @param {object} options
 * @param {number} options.runs            how many runs to drive
 * @param {number} [options.workers=3]     app instances
 * @param {number} [options.concurrency]   runs in flight at once
 * @param {[number, number]} [options.killEveryMs=[200, 600]]  pause (random in range) between a replacement
 *   coming up and the next kill
 * @param {boolean} [options.restartPostgres=true]
 * @param {number} [options.leaseMs=2000]
 * @param {(line: string) => void} [options.log]
 */
export async function runChaos({
  runs,
  workers = 3,
  concurrency = 24,
  killEveryMs = [200, 600],
  restartPostgres = true,
  leaseMs = 2000,
  pgUrl = process.env.DURABLE_TEST_PG_URL ?? DEFAULT_PG_URL,
  log = () => {},
}) {
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const storeSchema = `chaos_store_${tag}`;
  const ledgerSchema = `chaos_ledger_${tag}`;
  const admin = new pg.Pool({ connectionString: pgUrl, max: 2 });
  admin.on("error", () => {});
  for (const sql of LEDGER_DDL(ledgerSchema)) await admin.query(sql);

  const compiled = await compileEndpoint(tag);
  log(compiled.path ? `compiled endpoint: ${compiled.path}` : `compiled endpoint unavailable: ${compiled.reason}`);
  const paths = compiled.path ? ["/plain", "/compiled"] : ["/plain"];

  const cluster = new Cluster({
    env: {
      CHAOS_PG_URL: pgUrl,
      CHAOS_STORE_SCHEMA: storeSchema,
      CHAOS_LEDGER_SCHEMA: ledgerSchema,
      CHAOS_COMPILED: compiled.path ?? "",
      DURABLE_LEASE_MS: String(leaseMs),
    },
    onKill: (pid) => persistently(admin, `INSERT INTO "${ledgerSchema}".kills (pid) VALUES ($1)`, [pid]),
  });

  const stats = { requests: 0, events: 0, connectionErrors: 0, statuses: {} };
  const outage = { from: null, to: null, tookMs: null };
  const results = [];
  let killing = true;
  let outageDone = Promise.resolve();
  const started = Date.now();
  try {
    await cluster.start(workers);
    log(`${workers} workers up; driving ${runs} runs (${paths.join(" + ")}), killing one ${killEveryMs.join("–")} ms after the last replacement is up`);
    const killer = (async () => {
      while (killing) {
        await sleep(killEveryMs[0] + Math.random() * (killEveryMs[1] - killEveryMs[0]));
        if (killing) await cluster.killRandom();
      }
    })();

    let next = 0;
    const deadline = started + Math.max(120_000, runs * 600);
    const progress = () => {
      const done = results.length;
      if (restartPostgres && outage.from === null && done >= runs * 0.4) {
        outage.from = Date.now();
        log(`restarting Postgres after ${done} runs`);
        outageDone = restartCluster().then((ms) => {
          outage.tookMs = ms;
          outage.to = Date.now();
          log(`Postgres back after ${ms} ms`);
        });
      }
      if (done % Math.max(1, Math.floor(runs / 10)) === 0) log(`${done}/${runs} runs done, ${cluster.kills} kills`);
    };
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < runs) {
          const index = next++;
          const key = `run-${tag}-${index}`;
          results.push(await driveRun({ cluster, path: paths[index % paths.length], key, index, stats, deadline }));
          progress();
        }
      }),
    );
    const wallMs = Date.now() - started;
    killing = false;
    await killer;
    await outageDone;

    // The stored final Response is replayed by any instance: the poll URL (or the same Idempotency-Key).
    const replayMismatches = [];
    for (const r of results.filter((r) => r.final)) {
      const again = r.location
        ? await request(cluster.pick(), r.location, { method: "GET" }, stats)
        : await request(cluster.pick(), `${r.path}?id=${r.key}`, { method: "POST", headers: { "idempotency-key": r.key, "content-type": "application/json" }, body: JSON.stringify({ n: Number(r.key.split("-").pop()) }) }, stats);
      if (!sameResponse(again, r.key)) replayMismatches.push({ key: r.key, got: again });
    }
    await cluster.stop();

    const ledger = (await persistently(admin, `SELECT run, step, pid, phase, (extract(epoch FROM at) * 1000)::float8 AS at FROM "${ledgerSchema}".ledger ORDER BY seq`)).rows;
    const kills = (await persistently(admin, `SELECT pid, (extract(epoch FROM at) * 1000)::float8 AS at FROM "${ledgerSchema}".kills`)).rows;
    const stored = (await persistently(admin, `SELECT status, count(*)::int AS n, sum(steps_done)::int AS steps FROM "${storeSchema}".runs GROUP BY status`)).rows;
    const checkpoints = stored.reduce((sum, row) => sum + row.steps, 0);
    // A wasted execution "explained by the outage" must have touched it, give or take a lease.
    const window = outage.from === null ? null : { from: outage.from - 1000, to: outage.to + leaseMs + 1000 };
    const checkpointLog = (await persistently(admin, `SELECT run_id, step, status, pid, fence::int AS fence, ok, (extract(epoch FROM at) * 1000)::float8 AS at FROM "${ledgerSchema}".checkpoints ORDER BY seq`)).rows;
    const execs = executions(ledger, kills);
    const keys = results.map((r) => r.key);
    const evidence = { kills, checkpoints: checkpointLog, runIds: new Map(results.map((r) => [r.key, r.final?.runId])), outage: window };

    return {
      runs,
      endpoints: paths,
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
      storedRuns: Object.fromEntries(stored.map((row) => [row.status, row.n])),
      wrongResponses: checkResponses(results),
      replayMismatches,
      effects: checkEffects(keys, execs, evidence),
      fencing: checkFencing(checkpointLog),
      overlaps: overlaps(execs, evidence),
      compiled: compiled.path ? "yes" : `no (${compiled.reason})`,
    };
  } finally {
    killing = false;
    await outageDone.catch(() => {});
    await cluster.stop().catch(() => {});
    await ensurePostgresRunning();
    if (compiled.dir) rmSync(compiled.dir, { recursive: true, force: true });
    for (const schema of [storeSchema, ledgerSchema]) await persistently(admin, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
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

async function restartCluster() {
  const started = Date.now();
  await run("pg_ctlcluster", ["--skip-systemctl-redirect", "15", "main", "restart"]);
  return Date.now() - started;
}

/** Whatever happened, leave Postgres running for everyone else. */
export async function ensurePostgresRunning() {
  try {
    await run("pg_ctlcluster", ["15", "main", "status"]);
  } catch {
    await run("pg_ctlcluster", ["--skip-systemctl-redirect", "15", "main", "start"]).catch(() => {});
  }
}

const round = (n) => Math.round(n * 10) / 10;
