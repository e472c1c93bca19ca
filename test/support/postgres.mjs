// Where tests find Postgres: the one place. The vitest global setup (postgres-setup.mjs) puts the
// server's URL in DURABLE_TEST_PG_URL before any test runs; child processes inherit it.

/** The test server's admin URL (user `postgres`, database `postgres`). */
export function testPostgresUrl() {
  const url = process.env.DURABLE_TEST_PG_URL;
  if (!url) throw new Error("DURABLE_TEST_PG_URL is not set: run the tests through vitest (its global setup finds or starts Postgres), or set it");
  return url;
}

/** `url` with another database, and optionally query parameters (`schema`, `application_name`, …). */
export function postgresUrl(url, { database, ...params } = {}) {
  const parsed = new URL(url);
  if (database) parsed.pathname = `/${database}`;
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value);
  return parsed.href;
}
