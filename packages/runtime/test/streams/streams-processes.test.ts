/**
 * Streamed responses across real processes (the built runtime, SQLite and
 * Postgres): a follower in another process — nothing in its memory, it reads
 * what the producer persists — live and byte-exact; a producer SIGKILLed
 * mid-stream — the run streams again from its last checkpoint in another
 * process, followers learn it restarted and never get a spliced body — and a
 * 100 MB stream whose producer's memory stays bounded (RSS measured inside the
 * child process).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startApp, type RunningServer } from "../../../../test/support/processes.mjs";
import { postgresUrl, testPostgresUrl } from "../../../../test/support/postgres.mjs";
import { requireBuiltRuntime } from "../helpers.js";
import { BodyReader, completeEvents, dropSchemas, eventCount, eventIds } from "./helpers.js";

const fixture = fileURLToPath(new URL("../fixtures/stream-server.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "durable-stream-processes-"));
const pgUrl = testPostgresUrl();
const schemaPrefix = `streams_proc_${process.pid}_`;
let n = 0;

const storeUrls: Record<string, () => string> = {
  sqlite: () => `sqlite://${join(dir, `${++n}.db`)}`,
  postgres: () => postgresUrl(pgUrl, { schema: `${schemaPrefix}${++n}` }),
};

const children: RunningServer[] = [];
beforeAll(() => {
  requireBuiltRuntime();
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill("SIGKILL")));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas(pgUrl, schemaPrefix);
});

async function app(storeUrl: string, log: string): Promise<RunningServer> {
  const child = await startApp(fixture, { env: { DURABLE_STORE_URL: storeUrl, DURABLE_LEASE_MS: "400", APP_LOG: log } });
  children.push(child);
  return child;
}

const steps = (log: string) => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
const RESTART = /^event: durable-restart\ndata: \{"runId":"[\w-]+","generation":(\d+)\}\n\n/m;

describe.each(Object.keys(storeUrls))("streamed responses across processes on %s", (kind) => {
  test("a follower in another process streams what the producer writes, live and byte-exact (SSE: same ids; bytes: a Range while it is produced)", async () => {
    const storeUrl = storeUrls[kind]!();
    const log = join(dir, `${n}.log`);
    const [producer, other] = [await app(storeUrl, log), await app(storeUrl, log)];

    const sse = await fetch(`${producer.url}/stream?kind=sse&count=40&every=25`);
    const inline = new BodyReader(sse);
    await inline.until((t) => eventCount(t) >= 1);
    // process 2 has none of it in memory: it reads what process 1 persists, woken by the store's change signal
    const follower = new BodyReader(await fetch(`${other.url}${sse.headers.get("x-durable-poll-url")}`));
    const [produced, followed] = await Promise.all([inline.rest(), follower.rest()]);
    expect(produced.replace(/^id: .*\n/gm, "")).toBe(Array.from({ length: 40 }, (_, i) => `data: token ${i + 1}\n\n`).join(""));
    expect(followed).toBe(produced);
    expect(eventIds(followed).every((id) => id.startsWith("1-"))).toBe(true);
    expect(new Set(eventIds(followed)).size).toBe(40);

    const bytes = await fetch(`${producer.url}/stream?kind=bytes&count=80&size=100&every=25`);
    const ranged = await fetch(`${other.url}${bytes.headers.get("x-durable-poll-url")}`, { headers: { range: "bytes=0-" } });
    // an open-ended Content-Range: the other process joined while the producer was still writing
    expect([ranged.status, ranged.headers.get("content-range")]).toEqual([206, "bytes 0-9007199254740991/*"]);
    const [inlineBytes, rangedBytes] = (await Promise.all([bytes.arrayBuffer(), ranged.arrayBuffer()])).map((b) => new Uint8Array(b));
    expect(rangedBytes.length).toBe(8000);
    expect(rangedBytes.every((byte, o) => byte === Math.floor(o / 100) % 251)).toBe(true);
    expect(Buffer.from(rangedBytes).equals(Buffer.from(inlineBytes!))).toBe(true);
    // one execution produced both: the step before each response ran once, in process 1
    expect(steps(log)).toEqual([`${producer.pid} prepare`, `${producer.pid} prepare`]);
  });

  test("a producer SIGKILLed mid-stream: the run streams again from its last checkpoint; SSE followers get durable-restart, bytes followers a cut", async () => {
    const storeUrl = storeUrls[kind]!();
    const log = join(dir, `${n}.log`);
    const [first, second] = [await app(storeUrl, log), await app(storeUrl, log)];

    // SSE: the inline client on process 1, a follower on process 2
    const res = await fetch(`${first.url}/stream?kind=sse&count=40&every=25`);
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const inline = new BodyReader(res);
    const follower = new BodyReader(await fetch(`${second.url}${pollUrl}`));
    await follower.until((t) => eventCount(t) >= 5);
    await first.kill("SIGKILL");

    // the inline client's connection dies with its process: it rejoins on process 2 with its Last-Event-ID
    await expect(inline.rest()).rejects.toThrow();
    const seen = completeEvents(inline.text);
    expect(eventIds(seen).every((id) => id.startsWith("1-"))).toBe(true);
    const rejoined = new BodyReader(await fetch(`${second.url}${pollUrl}`, { headers: { "last-event-id": eventIds(seen).at(-1)! } }));
    const followed = await follower.rest();
    const resumed = await rejoined.rest();

    const full = await (await fetch(`${second.url}${pollUrl}`)).text();
    expect(eventCount(full)).toBe(40);
    expect(full.replace(/^id: .*\n/gm, "")).toBe(Array.from({ length: 40 }, (_, i) => `data: token ${i + 1}\n\n`).join(""));
    expect(eventIds(full).every((id) => id.startsWith("2-"))).toBe(true);
    // the follower: a prefix of the first stream, the restart event, then the whole new stream
    const restart = RESTART.exec(followed)!;
    expect(restart[1]).toBe("2");
    const before = followed.slice(0, restart.index);
    expect(eventIds(before).every((id) => id.startsWith("1-"))).toBe(true);
    expect(before.replace(/^id: .*\n/gm, "")).toBe(full.replace(/^id: .*\n/gm, "").slice(0, before.replace(/^id: .*\n/gm, "").length));
    expect(followed.slice(restart.index + restart[0].length)).toBe(full);
    // the rejoining client learns the same way, then gets the new stream whole
    expect(resumed.replace(RESTART, "")).toBe(full);
    // the step before the response ran once: the new execution resumed after it
    expect(steps(log).filter((line) => line.endsWith("prepare"))).toHaveLength(1);
  });

  test("bytes: a follower of a stream whose producer died is cut; If-Range with the old ETag gets the new stream whole", async () => {
    const storeUrl = storeUrls[kind]!();
    const log = join(dir, `${n}.log`);
    const [first, second] = [await app(storeUrl, log), await app(storeUrl, log)];
    const res = await fetch(`${first.url}/stream?kind=bytes&count=40&size=100&every=25`);
    const pollUrl = res.headers.get("x-durable-poll-url")!;
    const etag = res.headers.get("etag")!;
    const follower = new BodyReader(await fetch(`${second.url}${pollUrl}`));
    await follower.until((t) => t.length >= 500);
    await first.kill("SIGKILL");
    await expect(follower.rest()).rejects.toThrow();
    const got = follower.text.length;

    const again = await fetch(`${second.url}${pollUrl}`, { headers: { range: `bytes=${got}-`, "if-range": etag } });
    expect(again.status).toBe(200); // not 206: the representation changed
    expect(again.headers.get("etag")).not.toBe(etag);
    const body = new Uint8Array(await again.arrayBuffer());
    expect(body.length).toBe(4000);
    expect(body.every((byte, o) => byte === Math.floor(o / 100) % 251)).toBe(true);
    const range = await fetch(`${second.url}${pollUrl}`, { headers: { range: "bytes=3990-", "if-range": again.headers.get("etag")! } });
    expect([range.status, range.headers.get("content-range")]).toEqual([206, "bytes 3990-3999/4000"]);
  });

  test("a 100 MB stream: the producer's RSS stays bounded, inline and when replayed from the store", async () => {
    const storeUrl = storeUrls[kind]!();
    const server = await app(storeUrl, join(dir, `${n}.log`));
    const rss = async (reset = false) => (await fetch(`${server.url}/rss${reset ? "?reset=1" : ""}`)).json() as Promise<{ peak: number; now: number }>;
    const size = 64 * 1024;
    const count = 1600; // 100 MiB
    /** Reads a body, checking every byte; returns its length. */
    const consume = async (res: Response) => {
      let offset = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (let i = 0; i < chunk.length; i += 4093) expect(chunk[i]).toBe(Math.floor((offset + i) / size) % 251);
        offset += chunk.length;
      }
      return offset;
    };
    // warm up (driver, statements, JIT), then measure from here
    await consume(await fetch(`${server.url}/stream?kind=bytes&count=64&size=${size}`));
    const base = (await rss(true)).now;

    const res = await fetch(`${server.url}/stream?kind=bytes&count=${count}&size=${size}`);
    expect(await consume(res)).toBe(count * size);
    const produced = await rss();
    await rss(true);
    const replay = await fetch(`${server.url}${res.headers.get("x-durable-poll-url")}`);
    expect(await consume(replay)).toBe(count * size);
    const replayed = await rss();

    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    console.log(`[streams] ${kind}: RSS before ${mb(base)} MB; peak while producing 100 MiB ${mb(produced.peak)} MB (+${mb(produced.peak - base)}); peak while replaying ${mb(replayed.peak)} MB (+${mb(replayed.peak - base)})`);
    expect(produced.peak - base).toBeLessThan(100e6);
    expect(replayed.peak - base).toBeLessThan(100e6);
  }, 180_000);
});
