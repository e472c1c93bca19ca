import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { Inngest, step, type Store } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { closeClients, follow, req, sleep, testClient } from "./helpers.js";

afterEach(closeClients);

describe("client lifecycle", () => {
  test("constructing a client and an endpoint does no I/O; the default store opens on first use", async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-lazy-"));
    const file = join(dir, "nested", "app.db");
    const previous = process.env.DURABLE_STORE_URL;
    process.env.DURABLE_STORE_URL = `sqlite://${file}`;
    try {
      const inngest = new Inngest({ id: "lazy", endpointAdapter, logger: { info() {}, warn() {}, error() {} } });
      const handler = inngest.endpoint(async () => Response.json({ v: await step.run("v", () => 1) }));
      await sleep(20);
      expect(existsSync(join(dir, "nested"))).toBe(false);
      expect(await (await handler(req("/api/lazy"))).json()).toEqual({ v: 1 });
      expect(existsSync(file)).toBe(true);
      await inngest.close();
    } finally {
      process.env.DURABLE_STORE_URL = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("timers are unref'd: a process with a sleeping run and an open client exits by itself", () => {
    const fixture = fileURLToPath(new URL("./fixtures/exits.mjs", import.meta.url));
    const result = spawnSync(process.execPath, [fixture], { encoding: "utf8", timeout: 20_000 });
    expect(result.stdout).toBe("status 303\n");
    expect(result.status).toBe(0);
  });

  test.each(["top-level", "callback"])("a script awaiting a Response (%s) is kept alive until it has it, then exits", (mode) => {
    const fixture = fileURLToPath(new URL("./fixtures/awaits-response.mjs", import.meta.url));
    const result = spawnSync(process.execPath, [fixture, mode], { encoding: "utf8", timeout: 20_000 });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("200 woke\n");
    expect(result.status).toBe(0);
  });

  test("the replay-mode warning is logged once per client", async () => {
    const { inngest, logs } = testClient();
    const handler = inngest.endpoint(async () => new Response(String(await step.run("x", () => 1))));
    await handler(req("/api/a"));
    await handler(req("/api/a"));
    expect(logs.filter((l) => /not compiled: running in replay mode/.test(l.message))).toHaveLength(1);
  });

  test("non-step awaits between steps work in replay mode", async () => {
    const { inngest } = testClient();
    let ran = 0;
    const handler = inngest.endpoint(async () => {
      const a = await step.run("a", () => ++ran);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const b = await Promise.resolve(a + 1);
      await step.sleep("s", "10ms");
      return Response.json({ a, b, c: await step.run("c", () => ++ran) });
    });
    const final = await follow(handler, await handler(req("/api/awaits")));
    expect(await final.json()).toEqual({ a: 1, b: 2, c: 2 });
  });

  test("close() stops its executions at once and lets another client take over immediately", async () => {
    const { memoryStore } = await import("@durable-endpoints/runtime/memory");
    const store = memoryStore();
    const a = testClient({ store, leaseMs: 60_000 });
    let release!: () => void;
    let started!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const inStep = new Promise<void>((resolve) => (started = resolve));
    const body = (blocking: boolean) => async () => {
      const v = await step.run("slow", async () => {
        started();
        if (blocking) await blocked;
        return "v";
      });
      return new Response(v);
    };
    const pending = a.inngest.endpoint(body(true))(req("/api/slow", { headers: { "idempotency-key": "c" } }));
    await inStep;
    await a.inngest.close();
    release();
    expect((await pending).status).toBe(303); // its execution was abandoned, nothing more written
    const b = testClient({ store, leaseMs: 60_000 });
    const res = await b.inngest.endpoint(body(false))(req("/api/slow", { headers: { "idempotency-key": "c" } }));
    expect(await res.text()).toBe("v"); // no wait for the 60 s lease: close() released it
  });

  test("close() while an execution is about to start: it never starts, its lease is released", async () => {
    const { memoryStore } = await import("@durable-endpoints/runtime/memory");
    const store = memoryStore();
    let closing: Promise<void> | undefined;
    // the scheduler resumes the run in replay mode: the client closes while the run's steps are being listed
    const closingStore = new Proxy(store, {
      get(target, name: keyof Store) {
        if (name !== "listSteps") return typeof target[name] === "function" ? (target[name] as Function).bind(target) : target[name];
        return async (runId: string) => {
          const steps = await target.listSteps(runId);
          closing = a.inngest.close();
          return steps;
        };
      },
    });
    const a = testClient({ store: closingStore, leaseMs: 60_000 });
    let ranAfterClose = 0;
    const first = await a.inngest.endpoint(async () => {
      if (closing) ranAfterClose++;
      // a wait no clock can end (a short sleep already past when checked would finish inline, with no 303)
      await step.waitForEvent("go", { event: "test/go", timeout: "1h" });
      return new Response("done");
    })(req("/api/late"));
    expect(first.status).toBe(303);
    await a.inngest.send({ name: "test/go" });
    while (!closing) await sleep(10);
    await closing;
    const b = testClient({ store, leaseMs: 60_000 });
    const final = await follow(b.inngest.endpoint(async () => (await step.waitForEvent("go", { event: "test/go", timeout: "1h" }), new Response("done"))), first);
    expect(await final.text()).toBe("done"); // no wait for the 60 s lease
    expect(ranAfterClose).toBe(0);
  });

  test("a lease is renewed while a step runs longer than leaseMs: no other process takes over", async () => {
    const { memoryStore } = await import("@durable-endpoints/runtime/memory");
    const store = memoryStore();
    const ran: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const body = (who: string) => async () => {
      const v = await step.run("long", async () => {
        ran.push(who);
        await released;
        return who;
      });
      return new Response(v);
    };
    // a lease a loaded machine's stalls do not outlast (renewed every third of it), still much shorter than the step
    const LEASE_MS = 1200;
    const a = testClient({ store, leaseMs: LEASE_MS });
    const b = testClient({ store, leaseMs: LEASE_MS });
    const handlerB = b.inngest.endpoint(body("B"));
    const pending = a.inngest.endpoint(body("A"))(req("/api/long", { headers: { "idempotency-key": "l" } }));
    await sleep(1.5 * LEASE_MS);
    // B retries the same request and its scheduler is running: A's lease is live, so B only gets the poll URL
    expect((await handlerB(req("/api/long", { headers: { "idempotency-key": "l" } }))).status).toBe(303);
    release();
    expect(await (await pending).text()).toBe("A");
    expect(ran).toEqual(["A"]);
  });

  test("many concurrent long-polls (one run or many) raise no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const { inngest } = testClient({ pollMs: 100 });
      const handler = inngest.endpoint(async () => {
        await step.sleep("nap", "1h");
        return new Response("never");
      });
      const one = (await handler(req("/api/lp"))).headers.get("location")!;
      const many = await Promise.all(Array.from({ length: 15 }, async () => (await handler(req("/api/lp"))).headers.get("location")!));
      const polls = await Promise.all([...Array.from({ length: 15 }, () => handler(req(one))), ...many.map((location) => handler(req(location)))]);
      expect(polls.map((r) => r.status)).toEqual(Array(30).fill(202));
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  test("close() ends waiting long-polls with 503 + Retry-After and logs nothing; later requests get the same", async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-close-"));
    try {
      const { sqliteStore } = await import("@durable-endpoints/runtime/sqlite");
      const { inngest, logs } = testClient({ store: sqliteStore({ path: join(dir, "close.db") }), pollMs: 10_000 });
      const handler = inngest.endpoint(async () => {
        await step.sleep("nap", "1h");
        return new Response("never");
      });
      const location = (await handler(req("/api/closing"))).headers.get("location")!;
      const polls = Array.from({ length: 3 }, () => handler(req(location)));
      await sleep(50);
      await inngest.close();
      for (const res of [...(await Promise.all(polls)), await handler(req(location)), await handler(req("/api/closing"))]) {
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("1");
      }
      expect(logs.filter((l) => l.level === "error")).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

