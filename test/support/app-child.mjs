// Inside an app process under test: serve endpoints on 127.0.0.1 (port printed as {"port":n}, which
// processes.mjs waits for), watch the store's checkpoints, and SIGKILL ourselves at the point the
// parent chose — after committed checkpoint N, or at the Nth time a named probe runs:
//   DURABLE_TEST_CRASH_AFTER_CHECKPOINT=3     right after the 3rd committed checkpoint
//   DURABLE_TEST_CRASH_AT_PROBE=charge        the first time probe("charge") runs
//   DURABLE_TEST_CRASH_AT_PROBE=charge#2      the second time
import { createServer } from "node:http";

const AFTER_CHECKPOINT = "DURABLE_TEST_CRASH_AFTER_CHECKPOINT";
const AT_PROBE = "DURABLE_TEST_CRASH_AT_PROBE";

/** The environment that gives a child this crash plan (for the parent; `{}` = no crash). */
export function crashEnv({ afterCheckpoint, atProbe } = {}) {
  return {
    ...(afterCheckpoint && { [AFTER_CHECKPOINT]: String(afterCheckpoint) }),
    ...(atProbe && { [AT_PROBE]: atProbe }),
  };
}

/** Dies at once, like a machine losing power: no exit handlers, no flushing, no goodbye. */
export function crashNow() {
  process.kill(process.pid, "SIGKILL");
}

const probeCounts = new Map();

/** A named point in app code; the crash plan may kill the process here. */
export function probe(label) {
  const plan = process.env[AT_PROBE];
  if (!plan) return;
  const count = (probeCounts.get(label) ?? 0) + 1;
  probeCounts.set(label, count);
  const [name, nth = "1"] = plan.split("#");
  if (name === label && Number(nth) === count) crashNow();
}

/**
 * The store, watched: `onCheckpoint({ checkpoint, ok, committed })` is awaited after every
 * checkpoint the store answered (ok: it took it; committed: how many it took so far), then the crash
 * plan may kill the process — so a crash "after checkpoint N" comes after that checkpoint committed
 * and was recorded.
 * @template {object} S
 * @param {S} store
 * @param {(event: { checkpoint: any, ok: boolean, committed: number }) => unknown} [onCheckpoint]
 * @returns {S}
 */
export function watchCheckpoints(store, onCheckpoint = () => {}) {
  const crashAfter = Number(process.env[AFTER_CHECKPOINT] ?? 0);
  let committed = 0;
  return new Proxy(store, {
    get(target, name) {
      const value = target[name];
      if (name !== "checkpoint") return typeof value === "function" ? value.bind(target) : value;
      return async (checkpoint) => {
        const ok = await target.checkpoint(checkpoint);
        if (ok) committed++;
        await onCheckpoint({ checkpoint, ok, committed });
        if (ok && committed === crashAfter) crashNow();
        return ok;
      };
    },
  });
}

/**
 * Serves `routes` (path → node request handler; "*" for every path) on 127.0.0.1, a free port,
 * printed as {"port":n}. SIGTERM closes the server and exits 0.
 * @param {Record<string, (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => unknown>} routes
 */
export function serve(routes) {
  const server = createServer((req, res) => {
    const route = routes[req.url.split("?")[0]] ?? routes["*"];
    if (route) return route(req, res);
    res.writeHead(404).end();
  });
  // A test's client keeps connections for 4 s; a server closing idle ones at Node's 5 s default races a
  // request sent on a loaded machine at that moment ("other side closed"), which says nothing of durability.
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
  process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // long-polls would hold the close open
  });
  return server;
}

/** A route for `serve`: POST with an event (or a list) as JSON body → `inngest.send()`; 503 if it fails. */
export function sendRoute(inngest) {
  return async (req, res) => {
    if (req.method !== "POST") return res.writeHead(405).end();
    try {
      let body = "";
      for await (const chunk of req) body += chunk;
      const { ids } = await inngest.send(JSON.parse(body));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ids }));
    } catch (error) {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
    }
  };
}

/**
 * The store of an app process: DURABLE_STORE_URL (sqlite:…, postgres://…, memory:) with its
 * checkpoints watched (see watchCheckpoints) — pass it to `new Inngest({ store })`.
 */
export async function appStore(onCheckpoint) {
  const { openStore } = await import("@durable-endpoints/runtime");
  return watchCheckpoints(await openStore(process.env.DURABLE_STORE_URL, "app"), onCheckpoint);
}
