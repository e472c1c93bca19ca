import { afterEach, describe, expect, test } from "vitest";
import { step, type Inngest, type Store } from "@durable-endpoints/runtime";
import type { Checkpoint, LocalsEdit } from "../src/store.js";
import { deserialize } from "../src/serialize.js";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { closeClients, follow, req, sleep, testClient } from "./helpers.js";
import { GO, parallelMachine, pricesMachine, recreatingMachine, unsaveableMachine } from "./machines.js";

afterEach(closeClients);

/** Counts store calls, to check what a resume reads. */
function counting(store: Store) {
  const calls: Record<string, number> = {};
  const wrapped = new Proxy(store, {
    get(target, name: string) {
      const value = (target as any)[name];
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return { store: wrapped, calls };
}

type Probe = { entries: number; priced: string[] };

/** A prices run suspended at its wait (303 asserted), GO sent: following it resumes the run from the store. */
async function suspendedPrices(inngest: Inngest, probe: Probe, query: string) {
  const handler = inngest.endpoint(pricesMachine(probe, { waitForGo: true }));
  const first = await handler(req(`/api/prices?${query}`));
  expect(first.status).toBe(303);
  await inngest.send(GO);
  return { handler, first };
}

describe("compiled machines", () => {
  test("run a loop of steps and a wait; every step once, case 0 once", async () => {
    const probe = { entries: 0, priced: [] as string[] };
    const { handler, first } = await suspendedPrices(testClient().inngest, probe, "id=1&id=2&id=3");
    const final = await follow(handler, first);
    expect(await final.json()).toEqual({ total: 60 });
    expect(probe).toEqual({ entries: 1, priced: ["1", "2", "3"] });
  });

  test("resume reads only the run row and the pending await's step (never listSteps)", async () => {
    const probe = { entries: 0, priced: [] as string[] };
    const { store, calls } = counting(memoryStore());
    const { handler, first } = await suspendedPrices(testClient({ store }).inngest, probe, "id=1&id=2&id=3&id=4&id=5");
    for (const key of Object.keys(calls)) delete calls[key];
    const final = await follow(handler, first);
    expect(await final.json()).toEqual({ total: 150 });
    expect(calls.listSteps ?? 0).toBe(0);
    expect(calls.getStep ?? 0).toBe(1); // the wait at state 2
    expect(calls.checkpoint).toBe(1); // the final Response
  });

  test("a checkpoint hands over only what changed in the saved locals; the stored text is the whole new one, and a fresh client resumes from it", async () => {
    const probe = { entries: 0, priced: [] as string[] };
    const inner = memoryStore();
    const edits: LocalsEdit[] = [];
    const saved: unknown[] = [];
    const store = new Proxy(inner, {
      get(target, name: string) {
        const value = (target as any)[name];
        if (name !== "checkpoint") return typeof value === "function" ? value.bind(target) : value;
        return async (cp: Checkpoint) => {
          if (cp.run.localsEdit) edits.push(cp.run.localsEdit);
          const ok = await target.checkpoint(cp);
          if (cp.run.state === 1) saved.push(deserialize((await target.getRun(cp.runId))!.locals!));
          return ok;
        };
      },
    });
    const ids = Array.from({ length: 30 }, (_, i) => String(i + 1));
    const handler = testClient({ store }).inngest.endpoint(pricesMachine(probe, { waitForGo: true }));
    const first = await handler(req(`/api/prices?${ids.map((id) => `id=${id}`).join("&")}`));
    expect(first.status).toBe(303);
    // a new client over the same store (another process) answers the poll
    const other = testClient({ store }).inngest;
    await other.send(GO);
    const final = await follow(other.endpoint(pricesMachine(probe, { waitForGo: true })), first);
    expect(await final.json()).toEqual({ total: 4650 });
    // the "price" checkpoints after the first: an edit of the few characters that changed (total, i), not the ids again
    // (not all: devalue writes equal numbers once, so when total and i part, its indexes move)
    expect(edits.length).toBeGreaterThan(ids.length - 4);
    for (const edit of edits) expect(edit.text.length).toBeLessThan(12);
    // what the store holds after each is exactly the locals as the state was entered
    expect(saved).toEqual(ids.map((_, i) => ({ ids, total: (i * (i + 1) * 10) / 2, i })));
  });

  test("a store that does not say it takes locals edits (Store.localsEdits) gets the whole text at every checkpoint", async () => {
    const probe = { entries: 0, priced: [] as string[] };
    const written: Checkpoint["run"][] = [];
    const store = new Proxy(memoryStore(), {
      get(target, name: string) {
        if (name === "localsEdits") return undefined; // a store written before edits existed
        const value = (target as any)[name];
        if (name !== "checkpoint") return typeof value === "function" ? value.bind(target) : value;
        return (cp: Checkpoint) => (written.push(cp.run), target.checkpoint(cp));
      },
    });
    const ids = Array.from({ length: 30 }, (_, i) => String(i + 1));
    const handler = testClient({ store }).inngest.endpoint(pricesMachine(probe));
    const final = await follow(handler, await handler(req(`/api/prices?${ids.map((id) => `id=${id}`).join("&")}`)));
    expect(await final.json()).toEqual({ total: 4650 });
    expect(written.filter((run) => run.localsEdit !== undefined)).toEqual([]);
    expect(written.filter((run) => run.state === 1 && run.locals !== undefined)).toHaveLength(ids.length);
  });

  test("one store write per settled step", async () => {
    const probe = { entries: 0, priced: [] as string[] };
    const { store, calls } = counting(memoryStore());
    const { handler, first } = await suspendedPrices(testClient({ store }).inngest, probe, "id=1&id=2&id=3");
    await follow(handler, first);
    // 3 price steps + the wait's registration (with the suspension) + the final Response
    expect(calls.checkpoint).toBe(5);
    expect(calls.createRun).toBe(1);
  });

  test("crash mid-run: a fresh client resumes at the saved state; code before it never re-runs", async () => {
    const store = memoryStore();
    const probe = { entries: 0, priced: [] as string[] };
    const a = testClient({ store, leaseMs: 60_000 });
    const crashOn = "3";
    const handlerA = a.inngest.endpoint(
      pricesMachine(probe, {
        beforePrice: (id) => {
          if (id === crashOn) void a.inngest.close(); // the process "dies" during step 3
        },
      }),
    );
    const headers = { "idempotency-key": "order-1" };
    const first = await handlerA(req("/api/prices?id=1&id=2&id=3&id=4", { headers }));
    expect(first.status).toBe(303);
    expect(probe.priced).toEqual(["1", "2", "3"]);

    const b = testClient({ store });
    const handlerB = b.inngest.endpoint(pricesMachine(probe));
    const again = await handlerB(req("/api/prices?id=1&id=2&id=3&id=4", { headers }));
    const final = await follow(handlerB, again);
    expect(await final.json()).toEqual({ total: 100 });
    // step 3 was in flight at the crash: it ran twice; 1 and 2 once; case 0 once
    expect(probe.priced).toEqual(["1", "2", "3", "3", "4"]);
    expect(probe.entries).toBe(1);
  });

  test("a run saved by another version is replayed from its recorded steps", async () => {
    const store = memoryStore();
    const probe = { entries: 0, priced: [] as string[] };
    const a = testClient({ store });
    const first = await a.inngest.endpoint(pricesMachine(probe, { waitForGo: true }))(req("/api/prices?id=1&id=2"));
    expect(first.status).toBe(303);
    await a.inngest.close();

    const b = testClient({ store });
    const handlerB = b.inngest.endpoint(pricesMachine(probe, { version: "v2", waitForGo: true }));
    await b.inngest.send(GO);
    const final = await follow(handlerB, first);
    expect(await final.json()).toEqual({ total: 30 });
    expect(probe.priced).toEqual(["1", "2"]); // served from the memo
    expect(probe.entries).toBe(2); // replay starts at state 0
    expect(b.logs.some((l) => /was started by version v1, v2 is loaded: replaying/.test(l.message))).toBe(true);
  });

  test("once replayed by another version, a run stays in replay mode (no version resumes a stale state)", async () => {
    const store = memoryStore();
    const probe = { entries: 0, priced: [] as string[] };
    const a = testClient({ store });
    // v1 "dies" during step 2: closed before its own scheduler could finish the run (it would, as v1)
    const first = await a.inngest.endpoint(
      pricesMachine(probe, {
        beforePrice: (id) => {
          if (id === "2") void a.inngest.close();
        },
      }),
    )(req("/api/prices?id=1&id=2"));
    expect(first.status).toBe(303);
    const runId = first.headers.get("x-durable-run-id")!;
    const b = testClient({ store });
    const final = await follow(b.inngest.endpoint(pricesMachine(probe, { version: "v2" })), first);
    expect(await final.json()).toEqual({ total: 30 });
    expect((await store.getRun(runId))!.version).toBeNull();
  });

  test("Promise.all of steps: both committed, then the wait suspends", async () => {
    const ran: string[] = [];
    const { inngest } = testClient();
    const handler = inngest.endpoint(parallelMachine(ran));
    const first = await handler(req("/api/parallel"));
    expect(first.status).toBe(303);
    await inngest.send(GO);
    const final = await follow(handler, first);
    expect(await final.json()).toEqual({ sum: 3 });
    expect(ran.sort()).toEqual(["a", "b"]);
  });

  test("an unsaveable local fails the first checkpoint with its name and state", async () => {
    const { inngest } = testClient();
    const res = await inngest.endpoint(unsaveableMachine())(req("/api/u"));
    expect(res.status).toBe(500);
    const { error } = await res.json();
    expect(error.message).toMatch(/state 1 \(the await on line 4\).*local "sock" holds a Socket instance/);
  });

  test("a local the machine re-creates is left out of a checkpoint that cannot save it; what its initializer reads is saved instead", async () => {
    const probe = { made: 0 };
    const saved: string[] = [];
    const inner = memoryStore();
    const store = new Proxy(inner, {
      get(target, name: string) {
        const value = (target as any)[name];
        if (name !== "checkpoint") return typeof value === "function" ? value.bind(target) : value;
        return (cp: { run?: { locals?: string } }) => {
          if (cp.run?.locals) saved.push(cp.run.locals);
          return value.call(target, cp);
        };
      },
    });
    const { inngest } = testClient({ store });
    const handler = inngest.endpoint(recreatingMachine(probe));
    const first = await handler(req("/api/r"));
    expect(first.status).toBe(303);
    await inngest.send(GO);
    const final = await follow(handler, first);
    expect(await final.json()).toEqual({ a: "6:a", b: "6:b" });
    // made by the first execution, and again by the one that resumed after the event
    expect(probe.made).toBe(2);
    expect(saved.length).toBeGreaterThan(0);
    for (const locals of saved) {
      expect(locals).not.toContain("sock");
      expect(locals).toContain("k-made");
    }
  });

  test("ambient step inside a helper called from a machine", async () => {
    const { inngest } = testClient();
    const helper = async (x: number) => (await step.run("double", () => x * 2)) + 1;
    const handler = inngest.endpoint({
      durable: 1,
      id: "test/helper.ts#h",
      name: "h",
      version: "h1",
      live: { 1: [] },
      async resume($) {
        switch ($.state) {
          case 0:
            $.state = 1;
          case 1:
            return Response.json({ v: await helper(20) });
        }
        throw new Error("bad state");
      },
    });
    expect(await (await handler(req("/api/h"))).json()).toEqual({ v: 41 });
    await sleep(0);
  });

  test("a Promise.race resumed from the store settles in the order its outcomes happened, not the order they are read", async () => {
    // no scheduler claims: the run moves only when the poll resumes it, with both events recorded by then
    const base = memoryStore();
    const store = new Proxy(base, {
      get(target, name: string) {
        if (name === "claimDue") return async () => [];
        if (name === "nextWakeAt") return async () => null;
        if (name === "onDue") return () => () => {};
        const value = (target as any)[name];
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { inngest } = testClient({ store });
    const handler = inngest.endpoint({
      durable: 1,
      id: "test/race.ts#h",
      name: "h",
      version: "r1",
      live: { 1: [] },
      steps: [
        { id: "late", kind: "waitForEvent", line: 3, state: 1 },
        { id: "early", kind: "waitForEvent", line: 4, state: 1 },
      ],
      async resume($) {
        switch ($.state) {
          case 0:
            $.state = 1;
          case 1: {
            // read first, happened last
            const winner = await Promise.race([
              $.step.waitForEvent("late", { event: "race/late", timeout: "1h" }).then(() => "late"),
              $.step.waitForEvent("early", { event: "race/early", timeout: "1h" }).then(() => "early"),
            ]);
            return Response.json({ winner });
          }
        }
        throw new Error("bad state");
      },
    });
    const first = await handler(req("/api/race"));
    expect(first.status).toBe(303);
    const runId = first.headers.get("x-durable-run-id")!;
    await inngest.send({ name: "race/early" });
    await sleep(5);
    await inngest.send({ name: "race/late" });
    const [late, early] = await Promise.all([base.getStep(runId, "late"), base.getStep(runId, "early")]);
    expect(late?.status).toBe("completed");
    expect(early!.updatedAt).toBeLessThan(late!.updatedAt);
    const final = await follow(handler, first);
    expect(await final.json()).toEqual({ winner: "early" });
  });
});
