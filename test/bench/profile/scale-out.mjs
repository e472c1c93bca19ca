/**
 * Where P8's scale-out goes: the 3-step endpoint on Postgres under P8's load
 * (autocannon, 12 connections) served by 1 and by 3 server processes, twice
 * each. Per load run: requests/s; CPU seconds of each server process, of the
 * Postgres server's processes (when it runs on this machine) and of the load
 * generator; transactions committed in the database (pg_stat_database: every
 * autocommitted statement counts); and, sampled every 20 ms, how many of the
 * database's backends are active and how many of those wait on an `object`
 * lock — the database-wide lock a transaction that issued NOTIFY takes at its
 * commit and holds until the commit is flushed (PreCommit_Notify), so such
 * commits queue behind each other's WAL flush whichever instance sends them.
 * Run: node test/bench/profile/scale-out.mjs   (Postgres as the bench finds it, lib/postgres.mjs)
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import autocannon from "autocannon";
import { startServer } from "../lib/http-load.mjs";
import { benchPostgres } from "../lib/postgres.mjs";

const SECONDS = 5;
const CONNECTIONS = 12;
const TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** The Postgres server's processes on this machine (none when it runs elsewhere). */
function postgresCpuSeconds() {
  let pids = [];
  try {
    pids = execFileSync("pgrep", ["-x", "postgres"], { encoding: "utf8" }).trim().split("\n").map(Number);
  } catch {
    // none found
  }
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

const postgres = await benchPostgres("scale");
const monitor = await postgres.raw();
const commits = async () =>
  Number((await monitor.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")).rows[0].xact_commit);
const servers = [];
try {
  const storeUrl = postgres.url("http");
  for (let i = 0; i < 3; i++) servers.push(await startServer("compiled", storeUrl));
  for (const n of [1, 3, 1, 3]) {
    const cpu0 = servers.map((s) => cpuSeconds(s.pid));
    const pg0 = postgresCpuSeconds();
    const commits0 = await commits();
    const own0 = process.cpuUsage();
    let samples = 0;
    let active = 0;
    let waiting = 0;
    const sampler = setInterval(async () => {
      const { rows: [row] } = await monitor.query(
        `SELECT count(*) FILTER (WHERE state = 'active') AS active, count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'object') AS waiting
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      samples++;
      active += Number(row.active);
      waiting += Number(row.waiting);
    }, 20);
    const started = performance.now();
    const result = await autocannon({ url: servers.slice(0, n).map((s) => s.url), connections: CONNECTIONS, duration: SECONDS });
    const wall = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const committed = (await commits()) - commits0;
    const own = process.cpuUsage(own0);
    const fixed = (x) => x.toFixed(2);
    console.log(
      `${n} instance${n > 1 ? "s" : ""}: ${result.requests.average.toFixed(0)} req/s (${result.non2xx + result.errors} failed); ` +
        `CPU s in ${wall.toFixed(1)} s: instances ${servers.map((s, i) => fixed(cpuSeconds(s.pid) - cpu0[i])).join(" ")}, ` +
        `postgres ${fixed(postgresCpuSeconds() - pg0)}, load generator ${fixed((own.user + own.system) / 1e6)}; load average ${os.loadavg()[0].toFixed(1)}\n` +
        `  ${committed} transactions (${(committed / result.requests.total).toFixed(1)} per request, ${(committed / wall).toFixed(0)}/s); ` +
        `backends active ${(active / samples).toFixed(1)}, of them waiting on NOTIFY's commit lock ${(waiting / samples).toFixed(1)} (mean of ${samples} samples)`,
    );
  }
} finally {
  for (const server of servers) await server.stop();
  await postgres.close();
}
