import { afterEach, describe, expect, test, vi } from "vitest";
import { step, type Store } from "@durable-endpoints/runtime";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { closeClients, follow, req, testClient } from "./helpers.js";

afterEach(closeClients);

/**
 * A run that surely suspends, however loaded the machine: a short sleep may be over before it is saved (the
 * run then finishes inline, with no poll URL). `wake(first)` ends the sleep (the inspector's "wake now").
 */
function sleeper(t = testClient()) {
  const handler = t.inngest.endpoint(async () => {
    await step.sleep("nap", "1h");
    return new Response("done");
  });
  return { ...t, handler, wake: (first: Response) => wake(t.store, first) };
}

/** Ends the run's sleep once it is saved (a loaded machine may answer 303 while the suspension is still being written). */
async function wake(store: Store, first: Response) {
  const runId = first.headers.get("x-durable-run-id")!;
  await vi.waitFor(async () => expect(await store.wakeRun(runId, Date.now())).toBe(true), { timeout: 20_000, interval: 20 });
}

const tokenOf = (res: Response) => new URL(res.headers.get("location")!, "http://localhost").searchParams.get("__durable")!;

describe("poll URL security", () => {
  test("tampered, unknown, empty and malformed tokens are 404 revealing nothing", async () => {
    const { handler } = sleeper();
    const token = tokenOf(await handler(req("/api/s")));
    const [runId, mac] = token.split(".");
    const flipped = mac!.slice(0, -2) + (mac!.at(-2) === "A" ? "B" : "A") + mac!.at(-1);
    const otherRun = "A".repeat(22);
    for (const bad of [`${runId}.${flipped}`, `${otherRun}.${mac}`, "", "x", `${token}x`, "%00", `${runId}`]) {
      const res = await handler(req(`/api/s?__durable=${encodeURIComponent(bad)}`));
      expect(res.status, bad).toBe(404);
      expect(await res.json()).toEqual({ error: { name: "NotFound", message: "Unknown or expired poll URL" } });
    }
  });

  test("a token is only valid on the endpoint that issued it", async () => {
    const { inngest, handler, wake } = sleeper();
    const other = inngest.endpoint(async () => new Response("other"));
    const first = await handler(req("/api/s"));
    const token = tokenOf(first);
    expect((await other(req(`/api/other?__durable=${token}`))).status).toBe(404);
    expect((await handler(req(`/api/s2?__durable=${token}`))).status).toBe(404); // same handler, other path
    await wake(first);
    expect(await (await follow(handler, first)).text()).toBe("done");
  });

  test("Location stays on this origin, whatever the request path (//host, /\\host); it resolves to the same path", async () => {
    const { handler, wake } = sleeper();
    // its own client: two plain handlers of one client at one path would be one endpoint
    const long = testClient({ pollMs: 10 }).inngest.endpoint(async () => {
      await step.sleep("nap", "1h");
      return new Response("never");
    });
    for (const path of ["//evil.example/x", "/\\evil.example/x", "/\\/evil.example", "//evil.example", "///evil.example/x", "//evil.example/x?y=1"]) {
      const url = `http://app.example${path}`;
      const requestPath = new URL(url).pathname;
      const first = await handler(new Request(url));
      const poll = await long(new Request(url));
      expect([first.status, poll.status], path).toEqual([303, 303]);
      const pending = await long(new Request(new URL(poll.headers.get("location")!, url)));
      expect(pending.status, path).toBe(202);
      for (const location of [first.headers.get("location")!, poll.headers.get("location")!, pending.headers.get("location")!]) {
        // a browser reads "\\" as "/": neither may start the Location
        expect(location, path).toMatch(/^\/[^/\\]/);
        const resolved = new URL(location, url);
        expect(resolved.origin, path).toBe("http://app.example");
        expect(resolved.pathname, path).toBe(requestPath);
      }
      await wake(first);
      expect(await (await follow(handler, first, url)).text(), path).toBe("done");
    }
  });

  test("the poll URL answers GET, HEAD and DELETE only", async () => {
    const { handler, wake } = sleeper();
    const first = await handler(req("/api/s"));
    const location = first.headers.get("location")!;
    const post = await handler(req(location, { method: "POST", body: "x" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, DELETE");
    await wake(first);
    let head = await handler(req(location, { method: "HEAD" }));
    while (head.status === 202) head = await handler(req(location, { method: "HEAD" })); // a loaded machine
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  test("run ids carry 128 random bits; tokens are HMAC-SHA256", async () => {
    const { inngest } = testClient();
    const handler = inngest.endpoint(async () => new Response("x"));
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add((await handler(req("/api/e"))).headers.get("x-durable-run-id")!);
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, "base64url").length).toBe(16);
    }
    const { handler: s } = sleeper();
    const mac = tokenOf(await s(req("/api/s"))).split(".")[1]!;
    expect(Buffer.from(mac, "base64url").length).toBe(32);
  });

  test("a token is the standard HMAC-SHA256 of endpoint and run id: WebCrypto (edge) and node:crypto instances share tokens", async () => {
    const { handler, wake } = sleeper(testClient({ signingKey: "shared secret" }));
    const first = await handler(req("/api/s"));
    const [runId, mac] = tokenOf(first).split(".");
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("shared secret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`test-app:/api/s\n${runId}`));
    expect(mac).toBe(Buffer.from(expected).toString("base64url"));
    // the token as WebCrypto made it is accepted
    await wake(first);
    let res = await handler(req(`/api/s?__durable=${runId}.${Buffer.from(expected).toString("base64url")}`));
    while (res.status === 202) res = await handler(req(`/api/s?__durable=${runId}.${mac}`)); // a loaded machine
    expect(await res.text()).toBe("done");
  });

  test("the generated signing key is kept in the store: another client accepts the token", async () => {
    const store = memoryStore();
    const a = sleeper(testClient({ store }));
    const first = await a.handler(req("/api/s"));
    const b = sleeper(testClient({ store }));
    await b.wake(first);
    expect(await (await follow(b.handler, first)).text()).toBe("done");
    const c = sleeper(testClient({ store, signingKey: "another key" }));
    expect((await c.handler(req(first.headers.get("location")!))).status).toBe(404);
  });
});

describe("request handling", () => {
  test("sensitive headers are not persisted unless opted in; the first execution sees them", async () => {
    for (const persistHeaders of [undefined, ["authorization"]]) {
      const { inngest } = testClient(persistHeaders ? { persistHeaders } : {});
      const seen: (string | null)[] = [];
      const handler = inngest.endpoint(async (r: Request) => {
        seen.push(r.headers.get("authorization"));
        // a wait no clock can end: a short sleep already past when checked would finish inline, never resuming
        await step.waitForEvent("go", { event: "test/go", timeout: "1h" });
        seen.push(r.headers.get("authorization"));
        return Response.json({ cookie: r.headers.get("cookie"), custom: r.headers.get("x-custom"), body: await r.text() });
      });
      const first = await handler(
        req("/api/h", { method: "PUT", body: "payload", headers: { authorization: "Bearer s3cret", cookie: "a=b", "x-custom": "kept" } }),
      );
      expect(first.status).toBe(303);
      await inngest.send({ name: "test/go" });
      const body = await (await follow(handler, first)).json();
      expect(body).toEqual({ cookie: null, custom: null, body: "payload" });
      expect(seen).toEqual(persistHeaders ? ["Bearer s3cret", "Bearer s3cret", "Bearer s3cret"] : ["Bearer s3cret", null, null]);
    }
  });

  test("headers are persisted by allowlist: credentials under any name stay out of the store; persistHeaders adds names", async () => {
    const credentials = {
      authorization: "Bearer s3cret-1",
      cookie: "sid=s3cret-2",
      "x-access-token": "s3cret-3",
      "api-key": "s3cret-4",
      "x-goog-api-key": "s3cret-5",
      "private-token": "s3cret-6",
      "x-session-token": "s3cret-7",
      "x-my-own-auth": "s3cret-8",
    };
    const negotiation = { accept: "application/json", "accept-language": "fr-CH", "content-type": "text/plain", "x-request-id": "req-1" };
    for (const persistHeaders of [undefined, ["x-my-own-auth", "X-Access-Token"]]) {
      const { inngest, store } = testClient(persistHeaders ? { persistHeaders } : {});
      const resumed: Record<string, string | null>[] = [];
      const handler = inngest.endpoint(async (r: Request) => {
        await step.waitForEvent("go", { event: "test/go", timeout: "1h" }); // always suspends, unlike a short sleep
        resumed.push(Object.fromEntries([...Object.keys(credentials), ...Object.keys(negotiation)].map((name) => [name, r.headers.get(name)])));
        return new Response("ok");
      });
      const first = await handler(req("/api/h", { method: "POST", body: "payload", headers: { ...credentials, ...negotiation } }));
      expect(first.status).toBe(303);
      await inngest.send({ name: "test/go" });
      const stored = (await store.getRun(first.headers.get("x-durable-run-id")!))!.request;
      expect(await (await follow(handler, first)).text()).toBe("ok");
      const kept = persistHeaders ? ["s3cret-3", "s3cret-8"] : [];
      for (const [name, secret] of Object.entries(credentials)) {
        expect(stored.includes(secret), name).toBe(kept.includes(secret));
        expect(resumed.at(-1)![name], name).toBe(kept.includes(secret) ? secret : null);
      }
      for (const [name, value] of Object.entries(negotiation)) expect(resumed.at(-1)![name], name).toBe(value);
    }
  });

  test("413 past maxBodyBytes, 501 for unknown methods, 431 for huge headers", async () => {
    const { inngest } = testClient({ maxBodyBytes: 10 });
    let ran = 0;
    const handler = inngest.endpoint(async () => new Response(String(++ran)));
    expect((await handler(req("/api/b", { method: "POST", body: "0123456789" }))).status).toBe(200);
    const big = await handler(req("/api/b", { method: "POST", body: "0123456789!" }));
    expect(big.status).toBe(413);
    expect((await big.json()).error.message).toMatch(/exceeds 10 bytes/);
    const streamed = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(8));
        c.enqueue(new Uint8Array(8));
        c.close();
      },
    });
    expect((await handler(req("/api/b", { method: "POST", body: streamed, duplex: "half" } as RequestInit))).status).toBe(413);
    expect((await handler(req("/api/b", { method: "PROPFIND" }))).status).toBe(501);
    expect((await handler(req("/api/b", { headers: { "x-big": "x".repeat(70_000) } }))).status).toBe(431);
    expect(ran).toBe(1);
  });

  test("a JSON body is available after any step (req.json() on the restored request)", async () => {
    const { inngest } = testClient();
    const handler = inngest.endpoint(async (r: Request) => {
      await step.waitForEvent("go", { event: "test/go", timeout: "1h" }); // always suspends, unlike a short sleep
      return Response.json(await r.json());
    });
    const first = await handler(req("/api/j", { method: "POST", body: JSON.stringify({ a: [1, 2] }) }));
    expect(first.status).toBe(303);
    await inngest.send({ name: "test/go" });
    expect(await (await follow(handler, first)).json()).toEqual({ a: [1, 2] });
  });

  test("inngest.endpoint() without endpointAdapter is a clear error", async () => {
    const { Inngest } = await import("@durable-endpoints/runtime");
    const inngest = new Inngest({ id: "no-adapter", store: memoryStore() });
    expect(() => inngest.endpoint(async () => new Response())).toThrow(/endpointAdapter/);
  });

  test("an uncaught error is a generic 500 with the run id unless NODE_ENV is development or test; the detail is logged", async () => {
    const { inngest, logs } = testClient();
    const handler = inngest.endpoint(async () => {
      throw new Error("db password is hunter2");
    });
    const previous = process.env.NODE_ENV;
    try {
      for (const env of ["production", undefined, "staging"]) {
        if (env === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = env;
        const res = await handler(req("/api/x"));
        expect(res.status).toBe(500);
        const runId = res.headers.get("x-durable-run-id")!;
        expect(await res.json(), String(env)).toEqual({ error: { name: "InternalServerError", message: `The endpoint failed; its log has the detail (run ${runId})`, runId } });
        expect(logs.filter((l) => l.level === "error" && l.message.includes(runId) && l.message.includes("hunter2"))).toHaveLength(1);
      }
      for (const env of ["development", "test"]) {
        process.env.NODE_ENV = env;
        const { error } = await (await handler(req("/api/x"))).json();
        expect(error.name).toBe("Error");
        expect(error.message).toBe("db password is hunter2");
        expect(error.stack, env).toEqual(env === "development" ? expect.stringMatching(/hunter2/) : undefined);
      }
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  test("a store that is unavailable answers 503 + Retry-After; any other internal failure is a 500, never a 503", async () => {
    const failing = (error: Error) => {
      const store = memoryStore();
      return new Proxy(store, {
        get(target, name: string) {
          if (name === "createRun") return () => Promise.reject(error);
          const value = (target as any)[name];
          return typeof value === "function" ? value.bind(target) : value;
        },
      }) as Store;
    };
    const unavailable = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), { retriable: true });
    const down = testClient({ store: failing(unavailable) });
    const res = await down.inngest.endpoint(async () => new Response("never"))(req("/api/s"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(JSON.stringify(await res.json())).not.toMatch(/ECONNREFUSED|10\.0\.0\.1/);
    const broken = testClient({ store: failing(new Error("value too long for type character varying(64)")) });
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const failed = await broken.inngest.endpoint(async () => new Response("never"))(req("/api/s"));
      expect(failed.status).toBe(500);
      expect(JSON.stringify(await failed.json())).not.toMatch(/character varying/);
      expect(broken.logs.some((l) => l.level === "error" && l.message.includes("character varying"))).toBe(true);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});
