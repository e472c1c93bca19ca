/**
 * The HTTP fuzz: starts server.mjs in its own process, sends generated hostile requests over several
 * keep-alive connections at once, and judges every answer:
 * - no 5xx except the documented ones (500 for a handler that throws, 501 for an unknown method);
 * - no hung connection (every complete request is answered) and none closed without an answer;
 * - no redirect off-origin (every Location is a path on this origin);
 * - the answer is the one for this request (query nonce and body digest echoed back);
 * - an Idempotency-Key never hands one caller's run to another caller;
 * - a valid request still works (health checks during and after), and RSS stays bounded.
 */

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { random } from "../support/random.mjs";
import { Generator, SERVED_METHODS } from "./generate.mjs";
import { ClosedError, Connection, HungError } from "./wire.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @param {{ requests: number, seed: number, connections?: number, maxBody?: number, pollMs?: number,
 *   storeUrl?: string, timeoutMs?: number, progress?: (line: string) => void }} options
 */
export async function runFuzz(options) {
  // a request unanswered after timeoutMs is hung: long enough that a machine too busy to schedule the server
  // (or a disk stalling a synchronous SQLite write) does not pass for a hang; the slowest answer is reported
  const { requests, seed, connections = 8, maxBody = 64 * 1024, pollMs = 100, timeoutMs = 60_000, progress = () => {} } = options;
  const dir = mkdtempSync(join(tmpdir(), "http-fuzz-"));
  const storeUrl = options.storeUrl ?? `sqlite://${join(dir, "fuzz.db")}`;
  const server = await startServer({ storeUrl, maxBody, pollMs });
  const report = {
    seed,
    requests: 0,
    statuses: /** @type {Record<string, number>} */ ({}),
    classes: /** @type {Record<string, number>} */ ({}),
    hung: /** @type {string[]} */ ([]),
    dropped: /** @type {string[]} */ ([]),
    offOrigin: /** @type {string[]} */ ([]),
    violations: /** @type {string[]} */ ([]),
    health: { ok: 0, failed: /** @type {string[]} */ ([]) },
    rss: { baselineMB: 0, finalMB: 0, growthMB: 0, heapFinalMB: 0, samplesMB: /** @type {number[]} */ ([]) },
    slowestMs: 0,
    serverErrorsLogged: 0,
    unexpectedServerErrors: /** @type {string[]} */ ([]),
    seconds: 0,
  };
  const started = Date.now();
  const gen = new Generator({ seed, port: server.port, maxBody });
  const ctx = { server, gen, report, timeoutMs, origin: `http://127.0.0.1:${server.port}`, runCallers: new Map(), keyed: [], r: random(seed ^ 0x5eed) };
  try {
    // RSS grows for a while as allocator arenas and caches fill (the store's page cache, buffers for
    // multi-MiB bodies), then stays flat: growth is measured from the end of that warm-up
    const warmup = Math.floor(requests / 5);
    let sent = 0;
    // a health check (and an RSS sample) every 1,000 requests, or 20 times in a long run
    const sampleEvery = Math.max(1000, Math.ceil(requests / 20 / 1000) * 1000);
    let nextHealth = sampleEvery;
    let baselineTaken = warmup === 0;
    const worker = async () => {
      let conn = new Connection(server.port);
      while (sent < requests) {
        sent++;
        if (!baselineTaken && sent > warmup) {
          baselineTaken = true;
          report.rss.baselineMB = (await stats(server.port)).memory.rss / 2 ** 20;
        }
        if (sent >= nextHealth) {
          nextHealth += sampleEvery;
          await healthCheck(ctx, `during, after ${sent}`);
          if (baselineTaken) report.rss.samplesMB.push(Math.round((await stats(server.port)).memory.rss / 2 ** 20));
          progress(`${sent}/${requests} requests, ${report.violations.length + report.hung.length + report.dropped.length + report.offOrigin.length} problems`);
          // this connection sat idle meanwhile: the server may be closing it (keepAliveTimeout), as it may
          conn.destroy();
          conn = new Connection(server.port);
        }
        if (!conn.usable) conn = new Connection(server.port);
        conn = await exchange(ctx, conn);
      }
      conn.destroy();
    };
    await Promise.all(Array.from({ length: connections }, worker));
    await healthCheck(ctx, "at the end");
    const final = await stats(server.port);
    report.rss.finalMB = final.memory.rss / 2 ** 20;
    report.rss.heapFinalMB = final.memory.heapUsed / 2 ** 20;
    report.rss.growthMB = report.rss.finalMB - report.rss.baselineMB;
    report.serverErrorsLogged = final.logged.error;
    report.unexpectedServerErrors = final.logged.unexpected;
    report.serverStalls = final.stalls;
  } finally {
    report.seconds = (Date.now() - started) / 1000;
    server.child.kill("SIGTERM");
    await once(server.child, "exit").catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  for (const key of ["baselineMB", "finalMB", "growthMB", "heapFinalMB"]) report.rss[key] = Math.round(report.rss[key] * 10) / 10;
  return report;
}

async function startServer({ storeUrl, maxBody, pollMs }) {
  const child = spawn(process.execPath, ["--expose-gc", join(here, "server.mjs")], {
    env: { ...process.env, NODE_ENV: "production", FUZZ_STORE_URL: storeUrl, FUZZ_MAX_BODY: String(maxBody), FUZZ_POLL_MS: String(pollMs) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`fuzz server exited (${code}) before listening`);
  });
  const listening = (async () => {
    for await (const line of lines) if (line.startsWith("{")) return JSON.parse(line).port;
    return exited; // its output ended without a port: it exited (and says why on stderr)
  })();
  const port = await Promise.race([listening, exited]);
  exited.catch(() => {});
  return { child, port };
}

function stats(port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/__fuzz/stats", agent: false }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve(JSON.parse(text)));
      })
      .on("error", reject);
  });
}

/**
 * One request on `conn`, judged. Returns the connection to use next (a fresh one when this one
 * cannot carry another request).
 */
async function exchange(ctx, conn) {
  const { gen, report, r } = ctx;
  const request = ctx.keyed.length > 0 && r.chance(0.05) ? replayKeyed(ctx) : gen.next();
  report.requests++;
  conn.write(request.bytes);
  if (request.truncated) {
    // the client gives up mid-body: nothing to judge but what follows (the server must not leak or stall)
    await new Promise((resolve) => setTimeout(resolve, r.int(5)));
    conn.destroy();
    return new Connection(ctx.server.port);
  }
  let response;
  const sentAt = Date.now();
  try {
    response = await conn.read({ head: request.method === "HEAD", timeoutMs: ctx.timeoutMs });
    report.slowestMs = Math.max(report.slowestMs, Date.now() - sentAt);
  } catch (error) {
    conn.destroy();
    if (error instanceof HungError) report.hung.push(request.summary);
    else if (error instanceof ClosedError) report.dropped.push(`${request.summary}${conn.previous ? ` (after ${conn.previous})` : ""}`);
    else report.violations.push(`${request.summary}: ${error.message}`);
    return new Connection(ctx.server.port);
  }
  judge(ctx, request, response);
  conn.previous = `${request.summary} → ${response.status}`;
  // a lying Content-Length leaves bytes the server reads as the start of another request; a chunked
  // body the server did not read may be drained only in part, then the connection closes (it cannot
  // announce that: the response went out before the size of the body was known)
  if (response.close || request.lying || request.chunkedOverDrainLimit) {
    conn.destroy();
    return new Connection(ctx.server.port);
  }
  return conn;
}

/** The same keyed request again, from the same caller or another one (with that caller's credentials). */
function replayKeyed(ctx) {
  const original = ctx.r.pick(ctx.keyed);
  const other = ctx.r.chance(0.5) ? ctx.r.pick(ctx.keyed) : original;
  const swapped = other.caller === original.caller ? original : { ...original, caller: other.caller, bytes: withCredentials(original.bytes, other.bytes) };
  return { ...swapped, truncated: false, replayOf: original, summary: `${swapped.summary} (replayed as ${swapped.caller})` };
}

/** `bytes` with its Authorization/Cookie lines replaced by those of `from`. */
function withCredentials(bytes, from) {
  const credentials = (b) => b.toString("latin1").split("\r\n\r\n")[0].split("\r\n").filter((l) => /^(authorization|cookie):/i.test(l));
  const text = bytes.toString("latin1");
  const split = text.indexOf("\r\n\r\n");
  const [requestLine, ...headers] = text.slice(0, split).split("\r\n");
  const kept = headers.filter((l) => !/^(authorization|cookie):/i.test(l));
  return Buffer.concat([Buffer.from([requestLine, ...credentials(from), ...kept].join("\r\n"), "latin1"), bytes.subarray(split)]);
}

function judge(ctx, request, response) {
  const { report } = ctx;
  const { status } = response;
  report.statuses[status] = (report.statuses[status] ?? 0) + 1;
  const cls = `${Math.floor(status / 100)}xx`;
  report.classes[cls] = (report.classes[cls] ?? 0) + 1;
  const fail = (what) => report.violations.length < 200 && report.violations.push(`${request.summary} → ${status}: ${what}`);

  if (status >= 500) {
    const handlerError = status === 500 && (request.action === "throw" || request.action === "fail" || request.poll);
    const unknownMethod = status === 501 && !SERVED_METHODS.has(request.method);
    if (!handlerError && !unknownMethod) fail(`unexpected ${status} ${response.body.toString("utf8").slice(0, 300)}`);
  }
  // the server runs with NODE_ENV=production: a 500 says nothing of the error
  if (status === 500 && request.method !== "HEAD" && !/^\{"error":\{"name":"InternalServerError","message":"The endpoint failed; its log has the detail[^"]*"(,"runId":"[\w-]+")?\}\}$/.test(response.body.toString("utf8"))) {
    fail(`a 500 body with internal detail: ${response.body.toString("utf8").slice(0, 200)}`);
  }

  const location = response.header("location");
  if (location !== undefined) {
    if (!sameOrigin(location, ctx.origin)) {
      report.offOrigin.push(`${request.summary} → ${status} Location: ${location.slice(0, 200)}`);
    } else if (status === 303 || status === 202) {
      ctx.gen.remember(location);
    }
  }

  const runId = response.header("x-durable-run-id");
  if (runId && request.key && !request.poll && status < 500 && status !== 422) {
    const owner = ctx.runCallers.get(runId);
    if (owner === undefined) ctx.runCallers.set(runId, request.caller);
    else if (owner !== request.caller) fail(`caller ${request.caller} got run ${runId} of caller ${owner} through Idempotency-Key ${JSON.stringify(request.key.slice(0, 30))}`);
    if (ctx.keyed.length < 100 && !request.replayOf && request.key.trim() !== "" && request.key.length <= 255) ctx.keyed.push(request);
  }

  if (status === 200 && !request.poll && request.method !== "HEAD" && !request.lying) {
    let echoed;
    try {
      echoed = JSON.parse(response.body.toString("utf8"));
    } catch {
      return fail(`200 without the echo body: ${response.body.toString("utf8").slice(0, 200)}`);
    }
    if (echoed.n !== request.n) fail(`answered request n=${echoed.n}, sent n=${request.n}`);
    const carriesBody = request.method !== "GET" && request.method !== "HEAD";
    if (carriesBody && request.digest !== null && echoed.digest !== request.digest) fail(`body arrived as ${echoed.bytes} bytes, sent ${request.bodyBytes}`);
  }
}

/** True when `location`, resolved the way a browser would, stays on `origin`. */
export function sameOrigin(location, origin) {
  // browsers drop tabs and newlines and read "\" as "/" before resolving
  const cleaned = location.replace(/[\t\n\r]/g, "");
  if (/^[\\/]{2}/.test(cleaned.replace(/\\/g, "/"))) return false;
  try {
    return new URL(cleaned, `${origin}/some/page`).origin === origin;
  } catch {
    return false;
  }
}

/** A valid request still works: POST that sleeps → 303 → poll until its answer, plain and compiled. */
async function healthCheck(ctx, when) {
  for (const path of ["/api/health", "/m/health"]) {
    const n = `health-${ctx.report.health.ok + ctx.report.health.failed.length}`;
    const conn = new Connection(ctx.server.port);
    try {
      const body = JSON.stringify({ check: n });
      conn.write(
        Buffer.from(
          `POST ${path}?do=sleep&n=${n} HTTP/1.1\r\nHost: 127.0.0.1:${ctx.server.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ),
      );
      let response = await conn.read({ timeoutMs: ctx.timeoutMs });
      const deadline = Date.now() + ctx.timeoutMs;
      while ((response.status === 303 || response.status === 202) && Date.now() < deadline) {
        const next = new URL(response.header("location"), `${ctx.origin}${path}`);
        conn.write(Buffer.from(`GET ${next.pathname}${next.search} HTTP/1.1\r\nHost: 127.0.0.1:${ctx.server.port}\r\n\r\n`));
        response = await conn.read({ timeoutMs: ctx.timeoutMs });
      }
      const echoed = response.status === 200 ? JSON.parse(response.body.toString("utf8")) : null;
      if (echoed?.n === n && echoed.bytes === body.length) ctx.report.health.ok++;
      else ctx.report.health.failed.push(`${when}: ${path} → ${response.status} ${response.body.toString("utf8").slice(0, 200)}`);
    } catch (error) {
      ctx.report.health.failed.push(`${when}: ${path} → ${error.message}`);
    } finally {
      conn.destroy();
    }
  }
}

/** Every broken invariant of a report, as lines (empty when the run was clean). */
export function problems(report, { maxGrowthMB = 64 } = {}) {
  return [
    ...report.hung.map((s) => `hung: ${s}`),
    ...report.dropped.map((s) => `closed without an answer: ${s}`),
    ...report.offOrigin.map((s) => `off-origin redirect: ${s}`),
    ...report.violations,
    ...report.health.failed.map((s) => `health check failed ${s}`),
    ...report.unexpectedServerErrors.map((s) => `the server logged: ${s}`),
    ...(report.rss.growthMB > maxGrowthMB ? [`RSS grew ${report.rss.growthMB} MB (more than ${maxGrowthMB} MB)`] : []),
  ];
}
