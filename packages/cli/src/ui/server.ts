/**
 * The inspector's HTTP server: the built page, a JSON API over the store, and
 * server-sent events that push a run list or a run whenever it changes.
 *
 *   GET /, /runs/<id>          the page (it routes itself)
 *   GET /assets/…              its script and styles
 *   GET /api/info              the store being inspected
 *   GET /api/runs?filters      one page of runs, newest first
 *   GET /api/runs/live?filters the first page, again whenever it changes (SSE "runs")
 *   GET /api/runs/<id>         one run in detail
 *   GET /api/runs/<id>/live    the run, again whenever it changes (SSE "run")
 *   POST /api/events           send an event (JSON { name, data, id? })
 *   POST /api/runs/<id>/wake   cut a sleep or a retry backoff short
 *   POST /api/runs/<id>/cancel cancel a running or waiting run (JSON { reason? })
 *   POST /api/runs/<id>/retry  retry a failed run from where it failed (JSON {})
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Store } from "@durable-endpoints/runtime";
import type { ApiError, ServerInfo } from "./api.js";
import { cancelRunAction, retryRunAction, sendEvent, wakeRun } from "./actions.js";
import { loadAssets } from "./assets.js";
import { ApiProblem, parseRunQuery, runDetail, runPage } from "./queries.js";
import { checkAction, checkRequest, SECURITY_HEADERS, type Access } from "./security.js";
import { SourceMapper } from "./source-map.js";
import { openEventStream, pause } from "./sse.js";

export interface InspectorOptions {
  store: Store;
  /** the store URL without its password, shown on the page */
  storeLabel: string;
  host: string;
  /** 0: any free port */
  port: number;
  /** required on every request when set */
  token: string | null;
  /** where endpoint ids' module paths are resolved */
  root: string;
  /** how often a live run list is queried again (default 1000 ms) */
  listIntervalMs?: number;
  /** the built page (default: this package's dist/page) */
  assetsDir?: string;
}

export interface Inspector {
  /** http://host:port, without the token */
  url: string;
  close(): Promise<void>;
}

/** Live views open at once; each one queries the store, so their number is bounded. */
const MAX_STREAMS = 64;
/** A live run view looks again this often even without a change notification. */
const RUN_REFRESH_MS = 15_000;
/**
 * …and this often while the run is running: its steps' progress is not a change every store signals
 * (Postgres notifies only what a waiter acts on, see `Store.waitForChange`).
 */
const RUNNING_REFRESH_MS = 1000;

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const assets = loadAssets(options.assetsDir);
  const sources = new SourceMapper(options.root);
  const access: Access = { host: options.host, port: options.port, token: options.token };
  const closing = new AbortController();
  let streams = 0;
  const info: ServerInfo = { store: options.storeLabel };

  const send = (res: ServerResponse, status: number, body: string, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown) =>
    send(res, status, JSON.stringify(value), "application/json; charset=utf-8", { "Cache-Control": "no-store" });
  const fail = (res: ServerResponse, status: number, error: string) => json(res, status, { error } satisfies ApiError);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = checkRequest(req, access);
    if (verdict.ok === false) return fail(res, verdict.status, verdict.message);
    if (verdict.ok === "login") {
      res.writeHead(303, { ...SECURITY_HEADERS, Location: verdict.location, "Set-Cookie": verdict.cookie, "Content-Length": 0 });
      return void res.end();
    }
    const url = new URL(req.url ?? "/", "http://inspector");
    const path = url.pathname;
    if (req.method === "POST") return act(req, res, path);
    if (req.method !== "GET" && req.method !== "HEAD") return fail(res, 405, `${req.method} is not allowed here`);

    if (path === "/" || /^\/runs\/[^/]+$/.test(path)) {
      const page = assets.get("/index.html")!;
      return send(res, 200, page.body.toString("utf8"), page.type, { "Cache-Control": "no-store" });
    }
    const asset = assets.get(path);
    if (asset && path.startsWith("/assets/")) {
      res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": asset.type, "Content-Length": asset.body.length, "Cache-Control": "public, max-age=31536000, immutable" });
      return void res.end(req.method === "HEAD" ? undefined : asset.body);
    }
    if (path === "/api/info") return json(res, 200, info);
    if (path === "/api/runs") return json(res, 200, await runPage(options.store, parseRunQuery(url.searchParams)));
    if (path === "/api/runs/live") {
      const query = parseRunQuery(url.searchParams);
      return stream(res, (events, signal) => liveRuns(events, signal, query));
    }
    const run = /^\/api\/runs\/([^/]+)(\/live)?$/.exec(path);
    if (run) {
      const runId = decodeURIComponent(run[1]!);
      if (run[2]) return stream(res, (events, signal) => liveRun(events, signal, runId));
      const detail = await runDetail(options.store, sources, runId);
      return detail ? json(res, 200, detail) : fail(res, 404, `no run ${runId} in this store`);
    }
    return fail(res, 404, `nothing at ${path}`);
  }

  async function act(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const refused = checkAction(req);
    if (refused) return fail(res, refused.status, refused.message);
    if (path === "/api/events") return json(res, 200, await sendEvent(options.store, req));
    const action = /^\/api\/runs\/([^/]+)\/(wake|cancel|retry)$/.exec(path);
    if (action) {
      const runId = decodeURIComponent(action[1]!);
      if (action[2] === "wake") return json(res, 200, await wakeRun(options.store, runId));
      if (action[2] === "cancel") return json(res, 200, await cancelRunAction(options.store, runId, req));
      return json(res, 200, await retryRunAction(options.store, runId, req));
    }
    return fail(res, 404, `no action at ${path}`);
  }

  type Events = ReturnType<typeof openEventStream>;

  async function stream(res: ServerResponse, feed: (events: Events, signal: AbortSignal) => Promise<void>) {
    if (streams >= MAX_STREAMS) return fail(res, 503, `too many live views open (${MAX_STREAMS}); close some tabs`);
    streams++;
    const gone = new AbortController();
    const stop = () => gone.abort();
    res.on("close", stop);
    closing.signal.addEventListener("abort", stop);
    try {
      await feed(openEventStream(res, SECURITY_HEADERS), AbortSignal.any([gone.signal, closing.signal]));
    } finally {
      streams--;
      closing.signal.removeEventListener("abort", stop);
      res.end();
    }
  }

  /**
   * The first page of runs, queried again every interval — less often when the query is slow (a filter
   * no index serves, on a large store): each open view keeps the store busy 10% of the time at most.
   */
  async function liveRuns(events: Events, signal: AbortSignal, query: ReturnType<typeof parseRunQuery>) {
    while (!signal.aborted) {
      const started = performance.now();
      await deliver(events, "runs", () => runPage(options.store, query));
      await pause(Math.max(options.listIntervalMs ?? 1000, (performance.now() - started) * 10), signal);
    }
  }

  /** One run: sent again when the store reports a change (Postgres: LISTEN/NOTIFY; SQLite: its change poll). */
  async function liveRun(events: Events, signal: AbortSignal, runId: string) {
    let running = false;
    while (!signal.aborted) {
      const wake = AbortSignal.any([signal, AbortSignal.timeout(running ? RUNNING_REFRESH_MS : RUN_REFRESH_MS)]);
      // Subscribe before reading, so a change between the read and the wait is not missed.
      const changed = options.store.waitForChange(runId, wake).catch(() => pause(1000, signal));
      await deliver(events, "run", async () => {
        const detail = await runDetail(options.store, sources, runId);
        running = detail?.status === "running";
        return detail ?? { missing: runId };
      });
      await changed;
    }
  }

  /** A store error is reported to the page (which keeps its last data) and tried again on the next round. */
  async function deliver(events: Events, name: string, load: () => Promise<unknown>) {
    try {
      events.send(name, JSON.stringify(await load()));
      events.send("problem", "null");
    } catch (error) {
      events.send("problem", JSON.stringify(`the store did not answer: ${(error as Error).message}`));
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof ApiProblem) fail(res, error.status, error.message);
      else fail(res, 503, `the store did not answer: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  access.port = (server.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostInUrl}:${access.port}`,
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
