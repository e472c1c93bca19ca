/**
 * Profiling target: P3 — the 3-step endpoint served by node:http +
 * toNodeHandler (servers/http-server.mjs, compiled, SQLite) in a child process
 * run with --cpu-prof, under autocannon (10 connections) from this process.
 * The profile window is the loaded part only (after a warm-up, window-marker.mjs).
 *   node test/bench/profile/http.mjs [seconds=10] [plain]
 *   node test/bench/profile/summarize.mjs test/bench/.tmp/prof-http/<file>.cpuprofile
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { startServer } from "../lib/http-load.mjs";

const [seconds = "10", flavor = "compiled"] = process.argv.slice(2);
const tmp = fileURLToPath(new URL("../.tmp/", import.meta.url));
const dir = join(tmp, "prof-http");
rmSync(dir, { recursive: true, force: true });
const db = join(tmp, "profile-http.db");
for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
const marker = fileURLToPath(new URL("window-marker.mjs", import.meta.url));
const server = await startServer(flavor, `sqlite://${db}`, { nodeOptions: ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--import", marker] });
await autocannon({ url: server.url, connections: 10, duration: 2 }); // warm-up, not profiled
server.signal("SIGUSR2");
const result = await autocannon({ url: server.url, connections: 10, duration: Number(seconds) });
await server.stop();
const windowFile = readFileSync(join(dir, `window-${server.pid}.json`), "utf8");
const { cpuUs } = JSON.parse(windowFile);
const requests = result.requests.total;
console.log(`${flavor}: ${requests} requests, ${result.requests.average} req/s, p99 ${result.latency.p99} ms, server CPU ${(cpuUs / requests).toFixed(0)} µs per request`);
console.log(`profile: ${dir}/CPU.*.${server.pid}.*.cpuprofile`);
