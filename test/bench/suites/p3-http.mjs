/**
 * P3 HTTP throughput: the 3-step endpoint (fixtures/endpoints.ts `threeSteps`,
 * compiled, SQLite store) vs the same handler without durability, each served by
 * node:http + toNodeHandler in its own child process, loaded in turns by
 * autocannon 8's in-process API on 127.0.0.1.
 */
import { join } from "node:path";
import { compare, metric } from "../lib/harness.mjs";
import { load, startServer } from "../lib/http-load.mjs";
import { printTable } from "../lib/report.mjs";

export async function run({ mode, tmp }) {
  const seconds = mode === "quick" ? 3 : mode === "full" ? 10 : 5;
  const rounds = mode === "quick" ? 2 : mode === "full" ? 5 : 3;
  const servers = {
    durable: await startServer("compiled", `sqlite://${join(tmp, "p3.db")}`),
    plain: await startServer("plain", ""),
  };
  try {
    const results = await compare(
      Object.fromEntries(Object.entries(servers).map(([name, server]) => [name, () => load(server.url, seconds)])),
      { rounds, warmup: 1 },
    );
    printTable(
      `P3 HTTP, 10 connections, ${seconds} s × ${rounds} rounds (medians)`,
      ["contender", "requests/s", "p99 ms"],
      Object.entries(results).map(([name, r]) => [name, r.rps.median, r.p99_ms.median]),
    );
    const rps = (name) => results[name].rps;
    return [
      metric("P3.throughput_vs_plain", rps("durable").median / rps("plain").median, "x", { durable: rps("durable"), plain: rps("plain") }, "requests/s ratio"),
      metric("P3.p99_ms", results.durable.p99_ms.median, "ms", { durable: results.durable.p99_ms, plain: results.plain.p99_ms }),
    ];
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
}
