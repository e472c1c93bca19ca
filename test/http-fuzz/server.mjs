/**
 * The server under fuzz: a real node:http server in its own process (so its RSS is its own), serving
 * a plain endpoint on every path and a compiled machine under /m/, through toNodeHandler, on the
 * built runtime (dist/). Prints `{ port }` once listening; GET /__fuzz/stats answers its memory
 * (after a full GC) and what its logger saw.
 *
 * env: FUZZ_STORE_URL (sqlite:///… or postgres://…), FUZZ_MAX_BODY (bytes), FUZZ_POLL_MS.
 */

import { createHash } from "node:crypto";
import { Inngest, NonRetriableError, openStore, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { createServer, toNodeHandler } from "@durable-endpoints/runtime/node";

/** What the runtime logged; errors other than the ones the fuzz provokes (`do=throw`, `do=fail`) are kept. */
const logged = { info: 0, warn: 0, error: 0, unexpected: [] };
const count = (level) => (...args) => {
  logged[level]++;
  const text = args.map((a) => (a instanceof Error ? a.stack : String(a))).join(" ");
  if (level === "error" && !/fuzz: (thrown outside a step|failed step)/.test(text) && logged.unexpected.length < 20) logged.unexpected.push(text.slice(0, 2000));
};

/**
 * Event-loop stalls over 2 s, with the CPU time this process spent meanwhile: near the stall's length means
 * synchronous work blocked the loop; near zero, the machine did not give the process a CPU.
 */
const stalls = [];
let tickAt = performance.now();
let cpuAt = process.cpuUsage();
setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage(cpuAt);
  if (now - tickAt > 2100 && stalls.length < 20) {
    stalls.push({ at: new Date().toISOString(), ms: Math.round(now - tickAt), cpuMs: Math.round((cpu.user + cpu.system) / 1000) });
  }
  tickAt = now;
  cpuAt = process.cpuUsage();
}, 100).unref();

const store = await openStore(process.env.FUZZ_STORE_URL, "http-fuzz");
const inngest = new Inngest({
  id: "http-fuzz",
  endpointAdapter,
  store,
  signingKey: "fuzz signing key",
  pollMs: Number(process.env.FUZZ_POLL_MS ?? 100),
  maxBodyBytes: Number(process.env.FUZZ_MAX_BODY ?? 64 * 1024),
  logger: { info: count("info"), warn: count("warn"), error: count("error") },
});

/** What the fuzz driver checks: which request this answers (`n`) and that the body arrived intact. */
async function echo(req, extra = {}) {
  const url = new URL(req.url);
  const body = Buffer.from(await req.arrayBuffer());
  return Response.json(
    { n: url.searchParams.get("n"), method: req.method, bytes: body.length, digest: createHash("sha1").update(body).digest("hex"), ...extra },
    { headers: url.searchParams.get("do") === "cookie" ? { "set-cookie": `session=${url.searchParams.get("n")}; HttpOnly` } : {} },
  );
}

const plain = inngest.endpoint(async (req) => {
  const action = new URL(req.url).searchParams.get("do");
  if (action === "throw") throw new Error("fuzz: thrown outside a step");
  if (action === "fail") await step.run("fail", () => Promise.reject(new NonRetriableError("fuzz: failed step")));
  if (action === "sleep") await step.sleep("nap", "10ms");
  if (action === "wait") await step.waitForEvent("wait", { event: "fuzz/never", timeout: "20ms" });
  if (action === "step") await step.run("noop", () => ({ at: "step" }));
  return echo(req);
});

/** `const got = await step.run("a", …); if (sleep) await step.sleep("nap", "10ms"); return echo(req)`, compiled. */
const compiled = inngest.endpoint({
  durable: 1,
  id: "test/http-fuzz/server.mjs#compiled",
  name: "compiled",
  version: "v1",
  live: { 1: ["sleep"], 2: ["sleep", "got"] },
  steps: [
    { id: "a", kind: "run", line: 1, state: 1 },
    { id: "nap", kind: "sleep", line: 2, state: 2 },
  ],
  async resume($, req) {
    const L = $.locals;
    for (;;)
      switch ($.state) {
        case 0:
          L.sleep = new URL(req.url).searchParams.get("do") === "sleep";
          $.state = 1;
        case 1:
          L.got = await $.step.run("a", () => ({ machine: true }));
          $.state = 2;
        case 2:
          if (L.sleep) await $.step.sleep("nap", "10ms");
          return echo(req, L.got);
      }
  },
});

const servePlain = toNodeHandler(plain);
const serveCompiled = toNodeHandler(compiled);

// the documented setup: node:http's own answers (and a missing Host, which reaches toNodeHandler) close lingering
const server = createServer((req, res) => {
  if (req.url === "/__fuzz/stats") {
    for (let i = 0; i < 3; i++) globalThis.gc?.();
    res.setHeader("content-type", "application/json");
    return res.end(JSON.stringify({ memory: process.memoryUsage(), logged, stalls }));
  }
  if (req.url?.startsWith("/m/")) return serveCompiled(req, res);
  servePlain(req, res);
});
// longer than the driver's hang timeout: an event-loop stall (a starved machine) must not make node:http
// close an idle keep-alive connection under a request that just arrived, and a connection the server sits
// on is reported as hung rather than closed
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    server.closeAllConnections();
    server.close();
    await inngest.close();
    process.exit(0);
  });
}
