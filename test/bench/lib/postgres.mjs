/**
 * The Postgres server of the suites that need one (P7, P8): the tests' own
 * choice (test/support/postgres-setup.mjs: DURABLE_TEST_PG_URL, else the server
 * on 127.0.0.1:5432, else an embedded one), read where the tests read it
 * (test/support/postgres.mjs). Each suite gets schemas of its own, dropped
 * afterwards (the server may be shared).
 */
import pg from "pg";
import choosePostgres from "../../support/postgres-setup.mjs";
import { postgresUrl, testPostgresUrl } from "../../support/postgres.mjs";

/**
 * @param {string} name suite name, part of every schema name
 * @returns {Promise<{ url(schema: string): string, raw(): Promise<pg.Client>, close(): Promise<void> }>}
 */
export async function benchPostgres(name) {
  const release = await choosePostgres();
  const admin = testPostgresUrl();
  const schemas = new Set();
  const clients = [];
  return {
    /** A store URL on a fresh schema of this run (created by the store on first use). */
    url(schema) {
      const full = `bench_${name}_${schema}_${process.pid}`.toLowerCase();
      schemas.add(full);
      return postgresUrl(admin, { schema: full });
    },
    /** A connected plain pg client on the server; closed by close(). */
    async raw() {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.end()));
      const cleaner = new pg.Client({ connectionString: admin });
      await cleaner.connect();
      try {
        for (const schema of schemas) await cleaner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await cleaner.end();
        await release();
      }
    },
  };
}
