import { afterEach, describe, expect, test } from "vitest";
import { step, type Store } from "@durable-endpoints/runtime";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { closeClients, follow, req, sleep, testClient } from "./helpers.js";

afterEach(closeClients);

const post = (path: string, body: unknown, key: string) =>
  req(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", "idempotency-key": key } });

describe("Idempotency-Key", () => {
  test("the same key re-attaches to the same run and replays its Response exactly", async () => {
    const { inngest } = testClient();
    let runs = 0;
    const handler = inngest.endpoint(async (r: Request) => {
      const { n } = await r.json();
      const v = await step.run("work", () => ++runs);
      return new Response(`n=${n} v=${v}`, { status: 202, statusText: "Queued", headers: { "x-a": "1" } });
    });
    const a = await handler(post("/api/i", { n: 1 }, "k1"));
    const b = await handler(post("/api/i", { n: 1 }, "k1"));
    expect(runs).toBe(1);
    expect(b.headers.get("x-durable-run-id")).toBe(a.headers.get("x-durable-run-id"));
    for (const res of [a, b]) {
      expect(res.status).toBe(202);
      expect(res.statusText).toBe("Queued");
      expect(res.headers.get("x-a")).toBe("1");
      expect(await res.text()).toBe("n=1 v=1");
    }
  });

  test("a key longer than 255 characters is 400 (before any store sees it); 255 is fine; empty counts as absent", async () => {
    const { inngest } = testClient();
    let runs = 0;
    const handler = inngest.endpoint(async () => new Response(String(++runs)));
    const long = await handler(post("/api/i", {}, "k".repeat(256)));
    expect(long.status).toBe(400);
    expect((await long.json()).error.message).toMatch(/Idempotency-Key is 256 characters long; at most 255/);
    expect((await handler(post("/api/i", {}, "x".repeat(4096)))).status).toBe(400);
    expect(runs).toBe(0);
    expect(await (await handler(post("/api/i", {}, "k".repeat(255)))).text()).toBe("1");
    expect(await (await handler(post("/api/i", {}, "k".repeat(255)))).text()).toBe("1");
    expect(await (await handler(post("/api/i", {}, ""))).text()).toBe("2");
    expect(await (await handler(post("/api/i", {}, ""))).text()).toBe("3");
  });

  test("the same key with a different request is 422", async () => {
    const { inngest } = testClient();
    const handler = inngest.endpoint(async () => new Response("ok"));
    expect((await handler(post("/api/i", { n: 1 }, "k"))).status).toBe(200);
    const res = await handler(post("/api/i", { n: 2 }, "k"));
    expect(res.status).toBe(422);
    expect((await res.json()).error.name).toBe("IdempotencyKeyReused");
  });

  test("an empty key counts as absent; keys are scoped to the endpoint", async () => {
    const { inngest } = testClient();
    let runs = 0;
    const handler = inngest.endpoint(async () => new Response(String(++runs)));
    await handler(req("/api/a", { headers: { "idempotency-key": "  " } }));
    await handler(req("/api/a", { headers: { "idempotency-key": "" } }));
    expect(runs).toBe(2);
    await handler(req("/api/a", { headers: { "idempotency-key": "shared" } }));
    await handler(req("/api/b", { headers: { "idempotency-key": "shared" } }));
    expect(runs).toBe(4);
  });

  test("while the run sleeps, the same key answers 303 to its poll URL", async () => {
    const { inngest } = testClient();
    const handler = inngest.endpoint(async () => {
      await step.sleep("nap", "1h");
      return new Response("late");
    });
    const a = await handler(req("/api/sleepy", { headers: { "idempotency-key": "z" } }));
    const b = await handler(req("/api/sleepy", { headers: { "idempotency-key": "z" } }));
    expect(a.status).toBe(303);
    expect(b.status).toBe(303);
    expect(b.headers.get("x-durable-run-id")).toBe(a.headers.get("x-durable-run-id"));
  });

  test("takeover: a dead owner's run answers 303 while its lease lives, and is resumed after it expires", async () => {
    const shared = memoryStore();
    let dead = false;
    // the first process "dies" inside its second step: from then on none of its store calls ever return
    const dying = new Proxy(shared, {
      get(target, name: string) {
        const value = (target as any)[name];
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => (dead ? new Promise(() => {}) : value.apply(target, args));
      },
    }) as Store;
    const executions: string[] = [];
    const body = (who: string) => async () => {
      const a = await step.run("a", () => (executions.push(`${who}:a`), 1));
      const b = await step.run("b", () => {
        executions.push(`${who}:b`);
        if (who === "A") dead = true;
        return 2;
      });
      return Response.json({ sum: a + b });
    };
    const A = testClient({ store: dying, leaseMs: 1000 });
    void A.inngest.endpoint(body("A"))(req("/api/t", { headers: { "idempotency-key": "t" } }));
    while (!dead) await sleep(1);

    const B = testClient({ store: shared, leaseMs: 1000 });
    const handlerB = B.inngest.endpoint(body("B"));
    const early = await handlerB(req("/api/t", { headers: { "idempotency-key": "t" } }));
    expect(early.status).toBe(303); // A's lease is still live
    await sleep(1100);
    const late = await handlerB(req("/api/t", { headers: { "idempotency-key": "t" } }));
    expect(late.status).toBe(200);
    expect(await late.json()).toEqual({ sum: 3 });
    expect(late.headers.get("x-durable-run-id")).toBe(early.headers.get("x-durable-run-id"));
    // "a" committed before the crash: never re-run; "b" was in flight: ran again
    expect(executions).toEqual(["A:a", "A:b", "B:b"]);
    dead = false; // let client A close (its hung calls stay hung)
  });

  test("the poll URL takes over an orphaned run too", async () => {
    const store = memoryStore();
    const A = testClient({ store, leaseMs: 100 });
    const handler = (client: typeof A) =>
      client.inngest.endpoint(async () => {
        await step.sleep("s", "10ms");
        const v = await step.run("v", async () => {
          if (client === A) await A.inngest.close(); // A dies in this step
          return "done";
        });
        return new Response(v);
      });
    const res = await handler(A)(req("/api/orphan"));
    const B = testClient({ store, leaseMs: 100 });
    const final = await follow(handler(B), res);
    expect(await final.text()).toBe("done");
  });
});

describe("Idempotency-Key scope", () => {
  const keyed = (handler: (r: Request) => Promise<Response>, headers: Record<string, string>) =>
    handler(req("/api/pay", { method: "POST", body: "{}", headers: { "idempotency-key": "pay-1", ...headers } }));

  test("per caller by default: the same key and request from other credentials starts its own run, never sees the first one's response", async () => {
    const { inngest, store } = testClient();
    let runs = 0;
    const handler = inngest.endpoint(async () => {
      const n = await step.run("n", () => ++runs);
      return new Response(`run ${n}`, { headers: { "set-cookie": `session=${n}` } });
    });
    const callers = [
      { authorization: "Bearer alice-secret" },
      { authorization: "Bearer mallory" },
      {},
      { cookie: "sid=carol-secret" },
      { cookie: "sid=dave" },
      { "x-api-key": "erin-secret" },
      { authorization: "Bearer alice-secret", cookie: "sid=carol-secret" },
    ];
    const firsts: Response[] = [];
    for (const [i, headers] of callers.entries()) {
      const res = await keyed(handler, headers);
      expect(await res.text()).toBe(`run ${i + 1}`);
      expect(res.headers.get("set-cookie")).toBe(`session=${i + 1}`);
      firsts.push(res);
    }
    for (const [i, headers] of callers.entries()) {
      const again = await keyed(handler, headers);
      expect(again.headers.get("x-durable-run-id")).toBe(firsts[i]!.headers.get("x-durable-run-id"));
      expect(await again.text()).toBe(`run ${i + 1}`);
    }
    // the scope is a keyed hash: no credential reaches the store
    for (const res of firsts) {
      const stored = JSON.stringify(await store.getRun(res.headers.get("x-durable-run-id")!));
      for (const secret of ["alice-secret", "carol-secret", "erin-secret"]) expect(stored).not.toContain(secret);
    }
  });

  test("idempotencyScope(req) chooses the scope: one per tenant, whatever the credentials", async () => {
    const { inngest } = testClient({ idempotencyScope: (r: Request) => r.headers.get("x-tenant") ?? "" });
    let runs = 0;
    const handler = inngest.endpoint(async () => new Response(`run ${await step.run("n", () => ++runs)}`));
    expect(await (await keyed(handler, { "x-tenant": "acme", authorization: "Bearer a" })).text()).toBe("run 1");
    expect(await (await keyed(handler, { "x-tenant": "acme", authorization: "Bearer b" })).text()).toBe("run 1");
    expect(await (await keyed(handler, { "x-tenant": "globex", authorization: "Bearer a" })).text()).toBe("run 2");
    expect(await (await keyed(handler, {})).text()).toBe("run 3");
  });
});

