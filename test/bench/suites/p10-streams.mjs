/**
 * P10 streamed responses: the `streamed` endpoint (fixtures/endpoints.ts: a
 * step, then a body produced chunk by chunk) compiled on SQLite vs the same
 * handler without durability, each served by node:http + toNodeHandler in its
 * own child process and read with fetch on 127.0.0.1.
 * - time to first byte: request sent → first body chunk received, of an SSE
 *   response (20 events of 64 bytes), sequential requests;
 * - throughput: a 16 MiB (quick) / 64 MiB bytes body in 64 KiB chunks, read to
 *   its end as fast as the client can; MB/s.
 * The durable server persists every byte (batched appends) while it streams.
 */
import { join } from "node:path";
import { compare, metric } from "../lib/harness.mjs";
import { startServer } from "../lib/http-load.mjs";
import { median } from "../lib/stats.mjs";
import { printTable } from "../lib/report.mjs";

/** Milliseconds from sending the request to the first body chunk; the rest is read too (not timed). */
async function firstByte(url) {
  const started = performance.now();
  const res = await fetch(`${url}?sse=1&chunks=20&size=64`);
  const reader = res.body.getReader();
  const first = await reader.read();
  const ms = performance.now() - started;
  if (res.status !== 200 || first.done) throw new Error(`${url}: status ${res.status}, no body`);
  while (!(await reader.read()).done);
  return ms;
}

/** MB/s of one whole body of `chunks` × 64 KiB. */
async function throughput(url, chunks) {
  const started = performance.now();
  const res = await fetch(`${url}?chunks=${chunks}&size=65536`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  const seconds = (performance.now() - started) / 1000;
  if (bytes !== chunks * 65536) throw new Error(`${url}: ${bytes} bytes, expected ${chunks * 65536}`);
  return bytes / 1e6 / seconds;
}

const streamEndpoint = { endpoint: "streamed", path: "/stream" };

export async function run({ mode, tmp }) {
  const requests = mode === "quick" ? 15 : mode === "full" ? 100 : 40;
  const rounds = mode === "quick" ? 2 : mode === "full" ? 5 : 3;
  const chunks = mode === "quick" ? 256 : 1024;
  const servers = {
    durable: await startServer("compiled", `sqlite://${join(tmp, "p10.db")}`, streamEndpoint),
    plain: await startServer("plain", "", streamEndpoint),
  };
  try {
    const results = await compare(
      Object.fromEntries(
        Object.entries(servers).map(([name, server]) => [
          name,
          async () => {
            const ttfb = [];
            for (let i = 0; i < requests; i++) ttfb.push(await firstByte(server.url));
            return { ttfb_ms: median(ttfb), mb_per_s: await throughput(server.url, chunks) };
          },
        ]),
      ),
      { rounds, warmup: 1 },
    );
    printTable(
      `P10 streamed responses: TTFB (median of ${requests} SSE requests) and ${chunks / 16} MiB throughput, × ${rounds} rounds (medians)`,
      ["contender", "TTFB ms", "MB/s"],
      Object.entries(results).map(([name, r]) => [name, r.ttfb_ms.median, r.mb_per_s.median]),
    );
    const figure = (key) => ({ durable: results.durable[key], plain: results.plain[key] });
    return [
      metric("P10.ttfb_vs_plain", results.durable.ttfb_ms.median / results.plain.ttfb_ms.median, "x", figure("ttfb_ms"), "time to first byte ratio (ms)"),
      metric("P10.throughput_vs_plain", results.durable.mb_per_s.median / results.plain.mb_per_s.median, "x", figure("mb_per_s"), "MB/s ratio"),
    ];
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
}
