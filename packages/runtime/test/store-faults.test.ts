/**
 * Store faults: a transient error (connection cut) abandons the execution and the run is retried — it
 * never becomes the run's result; an error that will recur (data the store refuses, a value out of
 * range) fails the run at once with a clear error instead of re-running its steps in a loop; inputs
 * the store cannot hold are refused before they reach it.
 */
import { afterAll, afterEach, describe, expect, test } from "vitest";
import pg from "pg";
import { step, type MachineDefinition } from "@durable-endpoints/runtime";
import { startPgProxy } from "../../../test/support/pg-proxy.mjs";
import { testPostgresUrl } from "../../../test/support/postgres.mjs";
import { closeClients, deferred, removeTestStores, follow, req, sleep, storeKinds, testClient, testSchema, testSqlitePath, type StoreKind } from "./helpers.js";
import { GO, WAIT_FOR_GO } from "./machines.js";

afterEach(closeClients);
afterAll(removeTestStores);

const kinds = Object.keys(storeKinds) as StoreKind[];

/**
 * What the transform emits for:
 *   const a = await step.run("a", () => 1);
 *   await step.waitForEvent("go", { event: "test/go", timeout: "1h" });
 *   const b = await step.run("b", () => a + 1);
 *   return Response.json({ a, b });
 */
function waitingMachine(ran: string[]): MachineDefinition {
  return {
    durable: 1,
    id: "test/wait.ts#handler",
    name: "handler",
    version: "n1",
    live: { 1: [], 2: ["a"], 3: ["a"] },
    async resume($) {
      const L = $.locals as Record<string, number>;
      for (;;)
        switch ($.state) {
          case 0:
            $.state = 1;
          case 1:
            L.a = await $.step.run("a", () => (ran.push("a"), 1));
            $.state = 2;
          case 2:
            await $.step.waitForEvent("go", WAIT_FOR_GO);
            $.state = 3;
          case 3: {
            const b = await $.step.run("b", () => (ran.push("b"), L.a! + 1));
            return Response.json({ a: L.a, b });
          }
        }
    },
  };
}

describe("transient store errors (postgres, connection cut)", () => {
  test("a cut while reading a step after a wait abandons that execution; the run is retried and completes", async () => {
    const proxy = await startPgProxy({ target: testPostgresUrl() });
    try {
      const { inngest, store } = testClient({ store: await storeKinds.postgres({ url: proxy.url() }), leaseMs: 300, pollMs: 500 });
      const ran: string[] = [];
      const handler = inngest.endpoint(waitingMachine(ran));
      const request = () => req("/api/nap", { headers: { "idempotency-key": "nap-1" } });
      const first = await handler(request());
      expect(first.status).toBe(303);
      // A 303 does not say the run waits yet: on a loaded machine its execution may lose its 300 ms lease before
      // the wait and answer 303, and an event sent before the wait begins does not count. Send once it waits.
      const runId = first.headers.get("x-durable-run-id")!;
      await expect.poll(async () => (await store.getStep(runId, "go"))?.status, { timeout: 20_000 }).toBe("waiting");
      // the resume after the event reads the wait's step: that connection drops
      const cut = proxy.fault({ before: /FROM "[^"]+"\.steps WHERE run_id = \$1 AND id = \$2/ });
      await inngest.send(GO);
      const final = await follow(handler, first);
      await cut.fired;
      expect(final.status).toBe(200);
      expect(await final.json()).toEqual({ a: 1, b: 2 });
      // the result every later caller gets is the run's real one
      expect(await (await handler(request())).json()).toEqual({ a: 1, b: 2 });
      expect(ran).toEqual(["a", "b"]);
    } finally {
      await proxy.close();
    }
  });
});

/**
 * What the transform emits for:
 *   let log = "x".repeat(100);
 *   for (let i = 0; i < 5; i++) log += await step.run("s", () => "ab");
 *   return Response.json({ length: log.length });
 * Every checkpoint after the first hands over a locals edit that changes the text's length.
 */
function growingMachine(ran: number[]): MachineDefinition {
  return {
    durable: 1,
    id: "test/grow.ts#handler",
    name: "handler",
    version: "g1",
    live: { 1: ["log", "i"], 2: ["log", "i"] },
    async resume($) {
      const L = $.locals as { log: string; i: number };
      for (;;)
        switch ($.state) {
          case 0:
            L.log = "x".repeat(100);
            L.i = 0;
            $.state = 2;
          case 2:
            if (L.i >= 5) return Response.json({ length: L.log.length });
            $.state = 1;
          case 1:
            L.log += await $.step.run("s", () => (ran.push(L.i), "ab"));
            L.i++;
            $.state = 2;
            continue;
        }
    },
  };
}

describe("transient store errors (postgres, connection cut)", () => {
  test("a checkpoint whose answer is cut after it committed is retried and the execution carries on (a locals edit too)", async () => {
    const proxy = await startPgProxy({ target: testPostgresUrl() });
    try {
      // a lease far longer than the test: a retry is never cut short by it, and a lost execution is not taken over in time
      const { inngest, logs } = testClient({ store: await storeKinds.postgres({ url: proxy.url() }), leaseMs: 60_000, pollMs: 500 });
      const ran: number[] = [];
      const handler = inngest.endpoint(growingMachine(ran));
      // the server commits the second step's checkpoint (an edit of the stored locals); its answer is lost
      const cut = proxy.fault({ after: /substr\(locals/ });
      const first = await handler(req("/api/grow"));
      await cut.fired;
      expect(logs.filter((l) => l.level === "warn").map((l) => l.message).join("\n")).toMatch(/could not be stored, trying again/);
      // the retry found its checkpoint written: the execution was not abandoned, the request got the result inline
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ length: 110 });
      expect(ran).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await proxy.close();
    }
  });
});

describe("orphaned statements (postgres): a checkpoint the server gets after its client was cut", () => {
  /** Two steps and a final Response that says how many times the handler ran (code outside steps re-runs on a resume). */
  function twoSteps(inngest: ReturnType<typeof testClient>["inngest"], ran: string[], executions: { count: number }) {
    return inngest.endpoint(async () => {
      const execution = ++executions.count;
      const a = await step.run("a", () => (ran.push("a"), 1));
      const b = await step.run("b", () => (ran.push("b"), a + 1));
      return Response.json({ a, b, execution });
    });
  }

  test("step a's checkpoint, delivered after the execution's later checkpoints committed, changes nothing", async () => {
    const proxy = await startPgProxy({ target: testPostgresUrl() });
    const admin = new pg.Client({ connectionString: testPostgresUrl() });
    await admin.connect();
    try {
      const schema = testSchema();
      const { postgresStore } = await import("@durable-endpoints/runtime/postgres");
      // a lease far longer than the test: the retry is never cut short, and nothing is taken over by time
      const first = testClient({ store: postgresStore({ connectionString: proxy.url(), schema }), leaseMs: 60_000, pollMs: 500 });
      const ran: string[] = [];
      const executions = { count: 0 };
      const handler = twoSteps(first.inngest, ran, executions);
      // Step a's checkpoint: the client's connection is cut as it sends it (the client sees "Connection terminated"),
      // the statement itself reaches the server only later, on its still-open connection — as one still on the
      // network, in a pooler's buffer, or waiting behind a lock does; the server then runs and commits it.
      const orphan = proxy.fault({ action: "orphan", before: /^WITH run AS \(UPDATE "[^"]+"\.runs SET/ });
      const request = () => req("/api/orphan", { headers: { "idempotency-key": "orphan-1" } });
      const response = await handler(request());
      await orphan.fired;
      // the runtime retried the checkpoint on a new connection and carried on: step b, the final Response
      expect(first.logs.filter((l) => l.level === "warn").map((l) => l.message).join("\n")).toMatch(/could not be stored, trying again/);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ a: 1, b: 2, execution: 1 });
      await first.inngest.close(); // nothing of this process acts on the run any more
      const runs = `"${schema}".runs`;
      const before = (await admin.query(`SELECT id, status, steps_done, fence, result FROM ${runs}`)).rows;
      expect(before).toMatchObject([{ status: "completed", steps_done: 2 }]);

      // now the server runs the orphaned statement: same run, same fence, older content
      await orphan.deliver();
      const after = (await admin.query(`SELECT id, status, steps_done, fence, result FROM ${runs}`)).rows;
      expect(after).toEqual(before);

      // and the run's Response stays the one its caller got: a re-attach with the key replays it, nothing re-runs
      const second = testClient({ store: postgresStore({ connectionString: testPostgresUrl(), schema }), leaseMs: 60_000, pollMs: 500 });
      const again = await follow(twoSteps(second.inngest, ran, executions), await twoSteps(second.inngest, ran, executions)(request()));
      expect(await again.json()).toEqual({ a: 1, b: 2, execution: 1 });
      expect(executions.count).toBe(1);
      expect(ran).toEqual(["a", "b"]);
    } finally {
      await admin.end();
      await proxy.close();
    }
  });

  test("a checkpoint blocked on the run's row lock when its connection is cut commits first (the lock queue is FIFO); its retry, queued behind it, then writes nothing and the execution carries on", async () => {
    const proxy = await startPgProxy({ target: testPostgresUrl() });
    const admin = new pg.Client({ connectionString: testPostgresUrl() });
    const locker = new pg.Client({ connectionString: testPostgresUrl() });
    await admin.connect();
    await locker.connect();
    try {
      const schema = testSchema();
      const runs = `"${schema}".runs`;
      const { postgresStore } = await import("@durable-endpoints/runtime/postgres");
      const { inngest, logs } = testClient({ store: postgresStore({ connectionString: proxy.url(), schema }), leaseMs: 60_000, pollMs: 500 });
      const ran: string[] = [];
      const handler = inngest.endpoint(async () => {
        // step a's body ends holding the run's row lock on another connection: its checkpoint will wait for it
        const a = await step.run("a", async () => {
          await locker.query("BEGIN");
          await locker.query(`SELECT 1 FROM ${runs} FOR UPDATE`);
          ran.push("a");
          return 1;
        });
        const b = await step.run("b", async () => {
          bStarted.resolve();
          await proceed.promise;
          ran.push("b");
          return a + 1;
        });
        return Response.json({ a, b });
      });
      const bStarted = deferred();
      const proceed = deferred();
      /** The backends whose checkpoint of this schema's runs waits for a lock, and which lock. */
      const checkpoints = async () =>
        (
          await admin.query<{ pid: number; wait_event: string | null }>(
            `SELECT pid, wait_event FROM pg_stat_activity WHERE state = 'active' AND wait_event_type = 'Lock' AND query LIKE $1 ORDER BY backend_start`,
            [`WITH run AS (UPDATE ${runs} SET%`],
          )
        ).rows;
      const waitFor = async <T,>(what: string, found: () => Promise<T | undefined>): Promise<T> => {
        for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(10)) {
          const value = await found();
          if (value !== undefined) return value;
        }
        throw new Error(`timed out waiting for ${what}`);
      };

      const response = handler(req("/api/locked"));
      // step a's checkpoint waits for the lock holder's transaction
      const [orphan] = await waitFor("the checkpoint to wait for the lock", async () => ((await checkpoints()).length === 1 ? checkpoints() : undefined));
      expect(orphan!.wait_event).toBe("transactionid");
      const cutAt = Date.now();
      expect(proxy.cutAll()).toBeGreaterThan(0);
      // The runtime retries on a new connection. The cut connection's backend did not notice (no
      // client_connection_check_interval): it still waits, first in line; the retry queues behind it for the row.
      const queued = await waitFor("the retry to queue behind it", async () => {
        const now = await checkpoints();
        return now.length === 2 ? now : undefined;
      });
      expect(queued[0]).toEqual(orphan);
      expect(queued[1]!.pid).not.toBe(orphan!.pid);
      expect(queued[1]!.wait_event).toBe("tuple");
      await locker.query("COMMIT");
      // Step a's checkpoint is in: the orphaned attempt, sent before the cut, applied it (the run's updated_at is
      // the time it was sent); the retry found it applied and wrote nothing (its time is later than the cut).
      await bStarted.promise;
      const [checkpointed] = (await admin.query(`SELECT updated_at, steps_done FROM ${runs}`)).rows;
      expect(checkpointed!.steps_done).toBe(1);
      expect(Number(checkpointed!.updated_at)).toBeLessThan(cutAt);
      proceed.resolve();

      const final = await response;
      expect(final.status).toBe(200);
      expect(await final.json()).toEqual({ a: 1, b: 2 });
      expect(ran).toEqual(["a", "b"]);
      expect(logs.filter((l) => l.level === "warn").map((l) => l.message).join("\n")).toMatch(/could not be stored, trying again/);
      const [run] = (await admin.query(`SELECT status, steps_done FROM ${runs}`)).rows;
      expect(run).toEqual({ status: "completed", steps_done: 2 });
    } finally {
      await locker.end();
      await admin.end();
      await proxy.close();
    }
  });
});

describe.each(kinds)("inputs the store cannot hold (%s)", (kind) => {
  test("a step id with a NUL byte fails the run at once, before the step runs", async () => {
    const { inngest } = testClient({ store: await storeKinds[kind](), pollMs: 500 });
    let charged = 0;
    const handler = inngest.endpoint(async (request) => {
      const name = new URL(request.url).searchParams.get("name");
      await step.run(`charge-${name}`, () => ++charged);
      return new Response("charged");
    });
    const final = await follow(handler, await handler(req("/api/charge?name=a%00b")));
    expect(final.status).toBe(500);
    expect((await final.json()).error.message).toMatch(/step id .*NUL/i);
    expect(charged).toBe(0);
  });

  test("a sleep longer than the maximum fails the run at once with a clear error", async () => {
    const { inngest } = testClient({ store: await storeKinds[kind](), pollMs: 500 });
    const handler = inngest.endpoint(async () => {
      await step.sleep("z", "99999999999999d");
      return new Response("woke");
    });
    const final = await follow(handler, await handler(req("/api/z")));
    expect(final.status).toBe(500);
    expect((await final.json()).error.message).toMatch(/step\.sleep\("z"\).*longer than the maximum of 365 days/);
  });

  test("sub-millisecond durations are kept (a wake-up is never early), on every store", async () => {
    const { inngest } = testClient({ store: await storeKinds[kind](), pollMs: 500 });
    const handler = inngest.endpoint(async () => {
      const before = Date.now();
      await step.sleep("short", "1.5ms");
      return Response.json({ waited: Date.now() - before >= 1.5 || "resumed" });
    });
    const final = await follow(handler, await handler(req("/api/short")));
    expect(final.status).toBe(200);
  });
});

describe("errors that will recur (the store refuses the data)", () => {
  /** A store whose schema refuses step outputs containing "poison" (a real constraint error of that database). */
  const refusing: Partial<Record<StoreKind, () => Promise<import("@durable-endpoints/runtime").Store>>> = {
    postgres: async () => {
      const schema = testSchema();
      const { postgresStore } = await import("@durable-endpoints/runtime/postgres");
      const store = postgresStore({ connectionString: testPostgresUrl(), schema });
      await store.getRun("migrate-now");
      const admin = new pg.Client({ connectionString: testPostgresUrl() });
      await admin.connect();
      await admin.query(`ALTER TABLE "${schema}".steps ADD CONSTRAINT no_poison CHECK (output IS NULL OR output NOT LIKE '%poison%')`);
      await admin.end();
      return store;
    },
    sqlite: async () => {
      const { sqliteStore } = await import("@durable-endpoints/runtime/sqlite");
      const path = testSqlitePath();
      const store = sqliteStore({ path });
      await store.getRun("migrate-now");
      const { default: Database } = await import("better-sqlite3");
      const db = new Database(path);
      db.exec(`CREATE TRIGGER no_poison BEFORE INSERT ON steps WHEN NEW.output LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poisoned output'); END`);
      db.close();
      return store;
    },
  };

  test.each(Object.keys(refusing) as StoreKind[])("%s: a checkpoint the store refuses fails the run with a clear error; the step ran once", async (kind) => {
    const { inngest, logs } = testClient({ store: await refusing[kind]!(), leaseMs: 300, pollMs: 500 });
    let ran = 0;
    const handler = inngest.endpoint(async () => {
      const value = await step.run("poisoned", () => (++ran, "poison"));
      return new Response(value);
    });
    const final = await follow(handler, await handler(req("/api/poison")));
    expect(final.status).toBe(500);
    expect((await final.json()).error.message).toMatch(/could not be stored/);
    // the run stays failed: nothing re-runs it once leases lapse
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(ran).toBe(1);
    expect(logs.some((l) => l.level === "error" && /poison/.test(l.message))).toBe(true);
  });
});
