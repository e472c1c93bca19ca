/**
 * Private clusters: each binaries kind available here starts on its own port, survives a restart and
 * a SIGKILL crash (crash recovery keeps committed rows, loses the uncommitted transaction), and is
 * gone after destroy().
 */
import { existsSync } from "node:fs";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startPostgresCluster, type PostgresCluster } from "./postgres-cluster.mjs";

const kinds = existsSync("/usr/lib/postgresql") ? (["debian", "embedded"] as const) : (["embedded"] as const);
const started: PostgresCluster[] = [];

afterAll(async () => {
  for (const cluster of started) await cluster.destroy();
});

async function query(url: string, sql: string) {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.each(kinds)("%s binaries", (binaries) => {
  // initdb, three server starts and a crash recovery: on a loaded 2-core machine that once took more than the
  // default 30 s (the embedded binaries), so this test has a budget of its own
  it("start, restart, crash (SIGKILL) with recovery, destroy", { timeout: 120_000 }, async () => {
    const log: string[] = [];
    const cluster = await startPostgresCluster({ binaries, log: (line) => log.push(line) });
    started.push(cluster);
    expect(cluster.port).not.toBe(5432);
    expect((await query(cluster.url, "SHOW server_version"))[0].server_version).toMatch(new RegExp(`^${cluster.version}`));
    await query(cluster.url, "CREATE TABLE t (x INT)");
    await query(cluster.url, "INSERT INTO t VALUES (1)");

    expect(await cluster.restart({ downMs: 100 })).toBeGreaterThanOrEqual(100);
    expect(await query(cluster.url, "SELECT x FROM t")).toEqual([{ x: 1 }]);

    // An open transaction when the server dies: its row is gone after recovery, the committed one stays.
    const open = new pg.Client(cluster.url);
    open.on("error", () => {});
    await open.connect();
    await open.query("BEGIN");
    await open.query("INSERT INTO t VALUES (2)");
    await cluster.kill();
    await expect(query(cluster.url, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
    await cluster.start();
    expect(log.join("\n")).toMatch(/not properly shut down; automatic recovery in progress/);
    expect(await query(cluster.url, "SELECT x FROM t")).toEqual([{ x: 1 }]);
    await open.end().catch(() => {});

    await cluster.destroy();
    expect(existsSync(cluster.dataDir)).toBe(false);
  });
});
