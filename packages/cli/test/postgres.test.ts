/**
 * The built `durable` binary against a real Postgres store (the test server), populated by a run of an
 * UNCOMPILED handler (replay mode) in a database of its own.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { postgresUrl, testPostgresUrl } from "../../../test/support/postgres.mjs";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "durable.js");
const database = `durable_cli_${process.pid}_${Date.now()}`;
const admin = testPostgresUrl();
const storeUrl = postgresUrl(admin, { database });
let runId = "";

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function durable(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, DURABLE_STORE_URL: undefined } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  await sql(`CREATE DATABASE ${database}`);
  const inngest = new Inngest({ id: "cli-pg", endpointAdapter, store: postgresStore({ connectionString: storeUrl }), logger: { info() {}, warn() {}, error() {} } });
  try {
    const orders = inngest.endpoint(async (req: Request) => {
      const id = new URL(req.url).searchParams.get("id");
      const order = await step.run("load-order", () => ({ id, items: new Map([["pen", 2]]) }));
      return Response.json({ id: order.id, items: order.items.size });
    });
    const res = await orders(new Request("http://127.0.0.1/orders?id=o-7"));
    if (res.status !== 200) throw new Error(`run answered ${res.status}`);
    runId = res.headers.get("X-Durable-Run-Id")!;
  } finally {
    await inngest.close();
  }
}, 60_000);

afterAll(async () => {
  await sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}, 60_000);

it("lists and shows a replay-mode run stored in Postgres", () => {
  const runs = durable(["runs", "--store", storeUrl]);
  expect(runs.code).toBe(0);
  expect(runs.stdout).toMatch(new RegExp(`^${runId}\\s+completed\\s+cli-pg:/orders\\s`, "m"));

  const run = durable(["run", runId, "--store", storeUrl]);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^endpoint\s+cli-pg:\/orders\s+\(uncompiled: replay mode\)$/m);
  expect(run.stdout).toMatch(/^load-order\s+run\s+completed\s+1\s.*items: Map\(1\) \{ 'pen' => 2 \}/m);
  expect(run.stdout).toMatch(/^result\s+200\s+\{"id":"o-7","items":1\}$/m);
});

it("exits 1 with the reason when Postgres cannot be reached", () => {
  const { code, stderr } = durable(["runs", "--store", "postgres://postgres@127.0.0.1:1/nowhere"]);
  expect(code).toBe(1);
  expect(stderr).toMatch(/^durable: .*ECONNREFUSED/m);
});
