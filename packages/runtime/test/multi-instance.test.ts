/**
 * Several app instances sharing one Postgres store: a poll URL issued by one
 * works on another, and a long-poll waiting on instance B answers the moment
 * instance A finishes the run (LISTEN/NOTIFY, no polling interval).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { step, type InngestOptions } from "@durable-endpoints/runtime";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { testPostgresUrl } from "../../../test/support/postgres.mjs";
import { closeClients, req, sleep, testClient } from "./helpers.js";

const URL = testPostgresUrl();
const schema = `runtime_test_${process.pid}`;

beforeAll(async () => {
  const client = new pg.Client(URL);
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

afterAll(async () => {
  await closeClients();
  const client = new pg.Client(URL);
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

/**
 * A run of `path` suspends (an hour's sleep), is woken on instance A and blocks there in step "work" until
 * released, then goes on with `rest`. Once A holds it there, instance B long-polls its URL: returns B's
 * answer to come and the release.
 */
async function pollOnBWhileAHolds(path: string, options: Partial<InngestOptions>, rest: (v: string) => Promise<Response>) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const working = new Promise<void>((resolve) => (entered = resolve));
  const body = (waitForGate: boolean) => async () => {
    // long: it surely suspends (a short one may be over before it is saved, and A would go on inline)
    await step.sleep("s", "1h");
    const v = await step.run("work", async () => {
      if (waitForGate) entered(), await gate;
      return "from A";
    });
    return rest(v);
  };
  const a = testClient({ store: postgresStore({ connectionString: URL, schema }), ...options });
  const b = testClient({ store: postgresStore({ connectionString: URL, schema }), ...options });
  const handlerA = a.inngest.endpoint(body(true));
  const handlerB = b.inngest.endpoint(body(false));

  const first = await handlerA(req(path));
  expect(first.status).toBe(303);
  // the sleep ends ("wake now", once its suspension is saved); A's scheduler resumes the run and blocks inside "work"
  const runId = first.headers.get("x-durable-run-id")!;
  await vi.waitFor(async () => expect(await a.store.wakeRun(runId, Date.now())).toBe(true), { timeout: 20_000, interval: 20 });
  await working;
  const polled = handlerB(req(first.headers.get("location")!));
  await sleep(200);
  return { polled, release, runId, b };
}

describe("two instances on one Postgres store", () => {
  test("a poll on instance B is woken when instance A finishes the run", async () => {
    const { polled, release } = await pollOnBWhileAHolds("/api/multi", { pollMs: 10_000 }, async (v) => Response.json({ v }));
    const released = Date.now();
    release();
    const res = await polled;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ v: "from A" });
    expect(Date.now() - released).toBeLessThan(5_000); // woken, not timed out after pollMs
  });

  test("a poll on instance B is woken by A's finish after steps whose checkpoints notify nobody", { timeout: 30_000 }, async () => {
    // Neither B's poll nor A's lease ends before the test's timeout: B cannot see the finish by re-reading
    // at either's end. Without A's wake-up the test times out.
    const { polled, release, runId, b } = await pollOnBWhileAHolds("/api/multi-steps", { pollMs: 3_600_000, leaseMs: 3_600_000 }, async (v) => {
      let sum = 0;
      for (let i = 0; i < 5; i++) sum += await step.run(`add-${i}`, async () => i);
      return Response.json({ v, sum });
    });
    release();
    const res = await polled;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ v: "from A", sum: 10 });
    expect((await b.store.listSteps(runId)).map((s) => s.id)).toEqual(["s", "work", "add-0", "add-1", "add-2", "add-3", "add-4"]);
  });
});
