/**
 * Two instances on one Postgres store whose clocks disagree by more than the lease (one machine's clock
 * drifted): the instance ahead must not see the other's live lease as expired. Fencing alone would keep
 * the second commit out, but not the side effect: the instance behind, sure of its lease by its own
 * clock, would run a step body whose outcome the other had already committed. Found by the fault suite's
 * `skewed-clock` kind. Postgres judges lease expiry by the database server's clock.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import { step } from "@durable-endpoints/runtime";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { realClock, withClock, type Clock } from "@durable-endpoints/runtime/testing";
import { testPostgresUrl } from "../../../test/support/postgres.mjs";
import { closeClients, follow, removeTestStores, req, testClient, testSchema } from "./helpers.js";

afterEach(closeClients);
afterAll(removeTestStores);

/** A clock `skewMs` ahead of the machine's, with real timers. */
const skewedClock = (skewMs: number): Clock => ({ ...realClock, now: () => realClock.now() + skewMs });

test("an instance whose clock is ahead by more than the lease does not take a live lease: a committed step never runs again", async () => {
  const LEASE_MS = 30_000;
  const schema = testSchema();
  const store = () => postgresStore({ connectionString: testPostgresUrl(), schema });
  const bodies: string[] = [];
  let firstDone!: () => void;
  const firstCommitted = new Promise<void>((resolve) => (firstDone = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler = (name: string) => async () => {
    await step.run("first", () => name);
    // instance A stands here, its lease live (renewed every 10 s), until instance B has had its chance
    if (name === "A") firstDone(), await gate;
    const by = await step.run("second", () => (bodies.push(name), name));
    return Response.json({ by });
  };
  const a = testClient({ store: store(), leaseMs: LEASE_MS, pollMs: 500 });
  const b = testClient(withClock({ store: store(), leaseMs: LEASE_MS, pollMs: 500 }, skewedClock(2 * LEASE_MS)));
  const handlerA = a.inngest.endpoint(handler("A"));
  const handlerB = b.inngest.endpoint(handler("B"));

  const inline = handlerA(req("/api/skew", { method: "POST", headers: { "idempotency-key": "skew-1" } }));
  await firstCommitted;
  // B is asked about the run (a retry with the same key): by its clock A's lease ended long ago
  const fromB = await handlerB(req("/api/skew", { method: "POST", headers: { "idempotency-key": "skew-1" } }));
  release();
  const res = await inline;

  expect(bodies).toEqual(["A"]);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ by: "A" });
  // B answered with the poll URL (A held the run), which serves the same final Response
  expect(fromB.status).toBe(303);
  const polled = await follow(handlerB, fromB);
  expect(await polled.json()).toEqual({ by: "A" });
});
