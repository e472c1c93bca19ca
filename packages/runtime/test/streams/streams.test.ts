/**
 * Streamed responses end to end through node:http, on every store: live
 * inline and on the poll URL, persisted as they stream, rejoined with
 * Last-Event-ID or Range, followed by several clients and from another
 * instance, kept alive past the lease. (A follower in another process, a
 * producer SIGKILLed mid-stream and the 100 MB stream run in child processes:
 * streams-processes.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { step, type Store } from "@durable-endpoints/runtime";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";
import { testPostgresUrl } from "../../../../test/support/postgres.mjs";
import { type ClaimPass, closeClients, observeClaims, sleep, testClient, until } from "../helpers.js";
import { BodyReader, completeEvents, dropSchemas, eventCount, eventIds, Gate, gatedBody, serve, sseHeaders } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "durable-streams-"));
const pgUrl = testPostgresUrl();
const schemaPrefix = `streams_test_${process.pid}_`;
let n = 0;

/** Each test gets a fresh location; `open()` opens one more instance on it. */
const stores: Record<string, { shared: boolean; location(): () => Store }> = {
  memory: { shared: false, location: () => { const store = memoryStore(); return () => store; } },
  sqlite: { shared: true, location: () => { const path = join(dir, `${++n}.db`); return () => sqliteStore({ path }); } },
  postgres: { shared: true, location: () => { const schema = `${schemaPrefix}${++n}`; return () => postgresStore({ connectionString: pgUrl, schema }); } },
};

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await closeClients();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas(pgUrl, schemaPrefix);
});

const token = (i: number) => `data: token ${i}\n\n`;

describe.each(Object.entries(stores))("streamed responses on %s", (_kind, { shared, location }) => {
  /** A client on the store, serving `handler` over node:http. */
  async function instance(open: () => Store, handler: (req: Request) => Promise<Response>, options = {}) {
    const client = testClient({ store: open(), ...options });
    const server = await serve(client.inngest.endpoint(handler));
    servers.push(server);
    return { ...client, base: server.base };
  }

  /** A handler that runs a step, then streams `count` SSE events through `gate`. */
  function sseHandler(gate: Gate, count: number, chunk = token) {
    return async (req: Request) => {
      const topic = await step.run("prepare", () => new URL(req.url).searchParams.get("topic") ?? "none");
      return new Response(gatedBody(gate, count, chunk), { headers: { ...sseHeaders, "x-topic": topic } });
    };
  }

  test("an SSE response streams inline as it is produced, with ids, and becomes the run's final response", async () => {
    const gate = new Gate();
    const app = await instance(location(), sseHandler(gate, 5));
    gate.release(1);
    const res = await fetch(`${app.base}/chat?topic=t`, { headers: { "idempotency-key": "chat-1" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("x-topic")).toBe("t");
    expect(res.headers.get("cache-control")).toBe("no-cache"); // the handler's own
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    expect(pollUrl).toMatch(/^\/chat\?__durable=/);
    const body = new BodyReader(res);
    // the first event arrives while the handler may not produce the second one yet: live, not buffered
    expect(await body.until((t) => eventCount(t) === 1)).toBe("id: 1-0\ndata: token 1\n\n");
    gate.releaseAll();
    const full = await body.rest();
    expect(eventCount(full)).toBe(5);
    // every event got `<generation>-<offset where it starts>`
    for (const id of eventIds(full)) expect(full.indexOf(`id: ${id}\n`)).toBe(Number(id.split("-")[1]));
    expect(full.replace(/^id: .*\n/gm, "")).toBe([1, 2, 3, 4, 5].map(token).join(""));

    // replayed exactly: on the poll URL, and to the same Idempotency-Key (from the store)
    const polled = await fetch(`${app.base}${pollUrl}`);
    expect(polled.status).toBe(200);
    expect(polled.headers.get("x-topic")).toBe("t");
    expect(await polled.text()).toBe(full);
    const again = await fetch(`${app.base}/chat?topic=t`, { headers: { "idempotency-key": "chat-1" } });
    expect(again.headers.get("x-durable-run-id")).toBe(res.headers.get("x-durable-run-id"));
    expect(await again.text()).toBe(full);
    const head = await fetch(`${app.base}${pollUrl}`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-type"), await head.text()]).toEqual([200, "text/event-stream", ""]);
  });

  test("a client that drops mid-stream rejoins with Last-Event-ID: byte-exact, ids continuous; production went on without it", async () => {
    const gate = new Gate();
    const app = await instance(location(), sseHandler(gate, 12));
    gate.release(3);
    const res = await fetch(`${app.base}/chat`);
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const first = new BodyReader(res);
    await first.until((t) => eventCount(t) === 3);
    await first.cancel(); // the client goes away
    const seen = completeEvents(first.text);

    gate.release(4); // the handler goes on producing while nobody listens (events 4-7)
    const lastId = eventIds(seen).at(-1)!;
    const rejoined = await fetch(`${app.base}${pollUrl}`, { headers: { "last-event-id": lastId } });
    expect(rejoined.status).toBe(200);
    const second = new BodyReader(rejoined);
    await second.until((t) => eventCount(t) === 4); // what was produced while it was away
    gate.releaseAll();
    const rest = await second.rest();

    const full = await (await fetch(`${app.base}${pollUrl}`)).text();
    expect(eventCount(full)).toBe(12);
    expect(seen + rest).toBe(full);
    const ids = [...eventIds(seen), ...eventIds(rest)];
    expect(ids).toEqual(eventIds(full));
    expect(new Set(ids).size).toBe(12);
  });

  test("the inline client leaving does not abort the handler's req.signal: a body produced under it completes", async () => {
    const gate = new Gate();
    let signal!: AbortSignal;
    const app = await instance(location(), async (req: Request) => {
      await step.run("prepare", () => 1);
      signal = req.signal;
      const events = gatedBody(gate, 6, token).getReader();
      // what a handler streaming an upstream call made with `signal: req.signal` looks like
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await events.read();
          if (req.signal.aborted) return controller.error(req.signal.reason);
          if (done) controller.close();
          else controller.enqueue(value);
        },
      });
      return new Response(body, { headers: sseHeaders });
    });
    gate.release(2);
    const res = await fetch(`${app.base}/chat`);
    const inline = new BodyReader(res);
    await inline.until((t) => eventCount(t) === 2);
    await inline.cancel();
    // give the server time to see the connection close (an abort would come now)
    await Promise.race([new Promise((resolve) => signal.addEventListener("abort", resolve)), sleep(500)]);
    gate.releaseAll();
    const full = await (await fetch(`${app.base}${res.headers.get("x-durable-poll-url")}`)).text();
    expect(full.replace(/^id: .*\n/gm, "")).toBe([1, 2, 3, 4, 5, 6].map(token).join(""));
  });

  test("several followers receive the same bytes live", async () => {
    const gate = new Gate();
    const app = await instance(location(), sseHandler(gate, 6));
    gate.release(1);
    const res = await fetch(`${app.base}/chat`);
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const inline = new BodyReader(res);
    await inline.until((t) => eventCount(t) === 1);
    const followers = await Promise.all([1, 2, 3].map(async () => new BodyReader(await fetch(`${app.base}${pollUrl}`))));
    // each follower gets what exists so far, then each new event as it comes
    for (const f of followers) expect(await f.until((t) => eventCount(t) === 1)).toBe(inline.text);
    gate.release(1);
    for (const reader of [inline, ...followers]) await reader.until((t) => eventCount(t) === 2);
    gate.releaseAll();
    const texts = await Promise.all([inline, ...followers].map((r) => r.rest()));
    expect(eventCount(texts[0]!)).toBe(6);
    for (const text of texts) expect(text).toBe(texts[0]);
  });

  test("bytes: Range resumes a stream in progress (206, open-ended) and a complete one (206, 416, If-Range)", async () => {
    const gate = new Gate();
    const app = await instance(location(), async () => {
      await step.run("prepare", () => 1);
      return new Response(gatedBody(gate, 8, (i) => `<chunk ${i}>`), { headers: { "content-type": "application/octet-stream" } });
    });
    gate.release(2);
    const res = await fetch(`${app.base}/file`);
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+\.1"$/);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("cache-control")).toBe("no-store"); // it carries the poll URL; the handler set none
    const inline = new BodyReader(res);
    const head = await inline.until((t) => t.length >= 18);
    await inline.cancel();
    expect(head).toBe("<chunk 1><chunk 2>");

    const resumed = await fetch(`${app.base}${pollUrl}`, { headers: { range: `bytes=${head.length}-`, "if-range": etag } });
    expect(resumed.status).toBe(206);
    expect(resumed.headers.get("content-range")).toBe(`bytes ${head.length}-9007199254740991/*`);
    const rest = new BodyReader(resumed);
    gate.release(1);
    expect(await rest.until((t) => t.length > 0)).toBe("<chunk 3>");
    gate.releaseAll();
    const full = "<chunk 1><chunk 2><chunk 3><chunk 4><chunk 5><chunk 6><chunk 7><chunk 8>";
    expect(head + (await rest.rest())).toBe(full);

    const part = await fetch(`${app.base}${pollUrl}`, { headers: { range: "bytes=9-17" } });
    expect([part.status, part.headers.get("content-range"), part.headers.get("content-length"), await part.text()]).toEqual([
      206, `bytes 9-17/${full.length}`, "9", "<chunk 2>",
    ]);
    const tail = await fetch(`${app.base}${pollUrl}`, { headers: { range: "bytes=60-" } });
    expect([tail.status, tail.headers.get("content-range"), await tail.text()]).toEqual([206, `bytes 60-71/${full.length}`, full.slice(60)]);
    const beyond = await fetch(`${app.base}${pollUrl}`, { headers: { range: `bytes=${full.length}-` } });
    expect([beyond.status, beyond.headers.get("content-range")]).toEqual([416, `bytes */${full.length}`]);
    // an If-Range for another representation, or a Range form we do not serve: the whole body
    for (const headers of [{ range: "bytes=5-", "if-range": '"other.1"' }, { range: "bytes=-5" }, { range: "bytes=0-1,4-5" }]) {
      const whole = await fetch(`${app.base}${pollUrl}`, { headers });
      expect([whole.status, await whole.text()]).toEqual([200, full]);
    }
  });

  test("handler-chosen event ids: Last-Event-ID resumes after that event; an unknown id restarts the stream", async () => {
    const gate = new Gate();
    const app = await instance(location(), sseHandler(gate, 4, (i) => (i % 2 ? `id: msg-${i}\r\ndata: ${i}\r\n\r\n` : `: note\r\ndata: ${i}\r\n\r\n`)));
    gate.releaseAll();
    const res = await fetch(`${app.base}/chat`);
    const full = await res.text();
    // the events without an id get one, with the event's own line endings
    expect(full).toBe("id: msg-1\r\ndata: 1\r\n\r\nid: 1-22\r\n: note\r\ndata: 2\r\n\r\nid: msg-3\r\ndata: 3\r\n\r\nid: 1-73\r\n: note\r\ndata: 4\r\n\r\n");
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const after = (id: string) => fetch(`${app.base}${pollUrl}`, { headers: { "last-event-id": id } }).then((r) => r.text());
    expect(await after("msg-1")).toBe(full.slice(full.indexOf("id: 1-22")));
    expect(await after("msg-3")).toBe(full.slice(full.indexOf("id: 1-73")));
    expect(await after("1-73")).toBe("");
    const restarted = await after("msg-9");
    expect(restarted).toMatch(/^event: durable-restart\ndata: \{"runId":"[\w-]+","generation":1\}\n\n/);
    expect(restarted.slice(restarted.indexOf("\n\n") + 2)).toBe(full);
    // an id of another generation: the client saw a stream that was replaced
    expect((await after("7-0")).endsWith(full)).toBe(true);
  });

  test("a handler body that fails mid-stream fails the run: followers are cut, the poll URL answers 500", async () => {
    const encoder = new TextEncoder();
    let fail!: () => void;
    const failed = new Promise<void>((resolve) => (fail = resolve));
    const app = await instance(location(), async () => {
      await step.run("prepare", () => 1);
      let sent = false;
      return new Response(
        new ReadableStream({
          async pull(controller) {
            if (!sent) return void ((sent = true), controller.enqueue(encoder.encode("partial")));
            await failed;
            controller.error(new Error("upstream went away"));
          },
        }),
      );
    });
    const res = await fetch(`${app.base}/file`);
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const inline = new BodyReader(res);
    await inline.until((t) => t === "partial");
    const follower = new BodyReader(await fetch(`${app.base}${pollUrl}`));
    await follower.until((t) => t === "partial");
    fail();
    await expect(inline.rest()).rejects.toThrow();
    await expect(follower.rest()).rejects.toThrow();
    const polled = await fetch(`${app.base}${pollUrl}`);
    expect(polled.status).toBe(500);
    expect(await polled.json()).toHaveProperty("error");
    expect(app.logs.some((l) => l.level === "error" && l.message.includes("upstream went away"))).toBe(true);
  });

  test("cancelling a run mid-stream stops its body: followers are cut, the poll URL answers 409 RunCancelled", async () => {
    const gate = new Gate();
    let bodyCancelled!: () => void;
    const stopped = new Promise<void>((resolve) => (bodyCancelled = resolve));
    const app = await instance(location(), async () => {
      await step.run("prepare", () => 1);
      const events = gatedBody(gate, 10, token).getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await events.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: () => bodyCancelled(),
      });
      return new Response(body, { headers: sseHeaders });
    });
    gate.release(1);
    const res = await fetch(`${app.base}/chat`);
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const inline = new BodyReader(res);
    await inline.until((t) => eventCount(t) === 1);
    const follower = new BodyReader(await fetch(`${app.base}${pollUrl}`));
    await follower.until((t) => eventCount(t) === 1);
    expect((await fetch(`${app.base}${pollUrl}`, { method: "DELETE" })).status).toBe(200);
    await stopped; // the handler's body was cancelled: nothing more is produced
    await expect(inline.rest()).rejects.toThrow();
    await expect(follower.rest()).rejects.toThrow();
    const polled = await fetch(`${app.base}${pollUrl}`);
    expect(polled.status).toBe(409);
    expect(await polled.json()).toMatchObject({ error: { name: "RunCancelled" } });
  });

  test("a body complete at once is stored with the run, not streamed", async () => {
    const app = await instance(location(), async () => Response.json({ ok: await step.run("s", () => true) }));
    const res = await fetch(`${app.base}/json`);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get("x-durable-poll-url")).toBeNull();
    expect(await app.store.getStream(res.headers.get("x-durable-run-id")!)).toBeNull();
  });

  // Another client on the same store, in this process: it finds the live tail in memory (stream/live.ts is per
  // process). Reading only what the producer persisted — another process — is in streams-processes.test.ts.
  test.runIf(shared)("a follower on another instance streams what the producer writes, live", async () => {
    const gate = new Gate();
    const open = location();
    const producer = await instance(open, sseHandler(gate, 4));
    const other = await instance(open, sseHandler(new Gate(), 4));
    gate.release(1);
    const res = await fetch(`${producer.base}/chat`);
    const inline = new BodyReader(res);
    await inline.until((t) => eventCount(t) === 1);
    const follower = new BodyReader(await fetch(`${other.base}${res.headers.get("x-durable-poll-url")}`));
    expect(await follower.until((t) => eventCount(t) === 1)).toBe(inline.text);
    gate.release(1);
    expect(await follower.until((t) => eventCount(t) === 2)).toBe(await inline.until((t) => eventCount(t) === 2));
    gate.releaseAll();
    expect(await follower.rest()).toBe(await inline.rest());
  });

  test.runIf(shared)("a stream that outlives the lease keeps it: another instance's scheduler does not take it over", async () => {
    const gate = new Gate();
    const open = location();
    // The producer's lease is long enough that a loaded machine's pauses do not outlast it between two renewals
    // (a lapse there is a takeover the store rightly allows); the other instance scans for runs to take over
    // often (a scheduler re-arms at least every lease period of its own client).
    const producer = await instance(open, sseHandler(gate, 4), { leaseMs: 2000 });
    const passes: ClaimPass[] = [];
    const other = await instance(() => observeClaims(open(), passes), sseHandler(new Gate(), 4), { leaseMs: 200 });
    gate.release(1);
    const res = await fetch(`${producer.base}/chat`);
    const inline = new BodyReader(res);
    await inline.until((t) => eventCount(t) === 1);
    const runId = res.headers.get("x-durable-run-id")!;
    // the other instance follows the stream (its poll would take over a run whose lease expired) and scans for such runs
    const follower = new BodyReader(await fetch(`${other.base}${res.headers.get("x-durable-poll-url")}`));
    await follower.until((t) => eventCount(t) === 1);
    await other.inngest.start();
    for (let i = 0; i < 3; i++) {
      // the lease as of now lapses unless renewed: the stream goes on once the other instance has scanned after that
      const { leaseExpiresAt } = (await producer.store.getRun(runId))!;
      await until(() => passes.some((pass) => pass.at > leaseExpiresAt!), "the other instance scanned after the lease would have lapsed");
      gate.release(1);
    }
    const full = await inline.rest();
    expect(eventCount(full)).toBe(4);
    expect(eventIds(full).every((id) => id.startsWith("1-"))).toBe(true);
    expect(await follower.rest()).toBe(full); // no durable-restart: the stream was never taken over
    expect(passes.flatMap((pass) => pass.claimed)).not.toContain(runId);
  });
});
