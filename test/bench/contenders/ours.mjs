/**
 * Drives our endpoints the way clients and serverless invocations do:
 * web-standard Requests in, the HTTP protocol of docs/protocol.md out (inline Response,
 * or 303 to a poll URL whose GET drives a suspended run forward).
 */
import { join } from "node:path";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";

const ORIGIN = "http://bench.local";

/** @param {"memory" | "sqlite"} kind */
export function openStore(kind, tmp, name) {
  return kind === "memory" ? memoryStore() : sqliteStore({ path: join(tmp, `${name}.db`) });
}

/** Errors only: replay mode warns on every fresh client, which is expected here. */
const quiet = { info() {}, warn() {}, error: console.error };

/**
 * The store as a client sees it, except that `close()` leaves it open: the bench owns its lifetime.
 * Methods are bound once and read from a plain object (a Proxy binding each method at each call cost
 * ~0.3 µs per store call, counted in P2's engine figure); other properties are read through.
 */
export function keepOpen(store) {
  const view = Object.create(null);
  for (let proto = store; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === "constructor" || key in view) continue;
      const value = Reflect.get(store, key, store);
      if (typeof value === "function") view[key] = value.bind(store);
      else Object.defineProperty(view, key, { get: () => Reflect.get(store, key, store), enumerable: true });
    }
  }
  view.close = async () => {};
  return view;
}

/**
 * The store as a long-lived server's client sees it, minus the scheduler's
 * view of due work (it claims nothing and knows of no wake-up): a due run then
 * moves only when a request — the poll the bench times — drives it. Methods
 * are bound once, so the view costs nothing per call.
 */
export function withoutScheduler(store) {
  const view = Object.create(null);
  for (let proto = store; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === "constructor" || key in view) continue;
      const value = Reflect.get(store, key, store);
      view[key] = typeof value === "function" ? value.bind(store) : value;
    }
  }
  view.kind = store.kind;
  view.close = async () => {};
  view.claimDue = async () => [];
  view.nextWakeAt = async () => null;
  view.onDue = () => () => {};
  return view;
}

/** A client over `store`; close it (`endpoints.inngest.close()`) before the store. */
export function client(module, store, options = {}) {
  return module.createEndpoints(keepOpen(store), { logger: quiet, ...options });
}

/**
 * Runs `use(endpoints)` with a fresh client over `store` — a new serverless
 * invocation — then closes the client (its scheduler must not move runs on
 * behind the bench's back).
 */
export async function withClient(module, store, use, options = {}) {
  const endpoints = client(module, store, options);
  try {
    return await use(endpoints);
  } finally {
    await endpoints.inngest.close();
  }
}

export async function call(handler, pathOrUrl) {
  return handler(new Request(new URL(pathOrUrl, ORIGIN)));
}

/** Starts a run expected to suspend; returns its absolute poll URL and run id. */
export async function startSuspended(handler, path) {
  const res = await call(handler, path);
  if (res.status !== 303) throw new Error(`${path}: expected 303 (suspended), got ${res.status} ${await res.text()}`);
  return { url: new URL(res.headers.get("location"), new URL(path, ORIGIN)).href, runId: res.headers.get("x-durable-run-id") };
}

/** Reads a final JSON Response, failing loudly on anything else. */
export async function finalJson(res, what) {
  if (res.status !== 200) throw new Error(`${what}: expected 200, got ${res.status} ${await res.text()}`);
  return res.json();
}

const position = (run) => `${run.state}|${run.locals}|${run.wakeAt}`;

/**
 * Resolves once the run has left the position it had in `before` and is
 * suspended again with its lease released, or has finished. Fails after
 * `timeoutMs` instead of hanging the bench.
 */
export async function settled(store, before, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
    const change = store.waitForChange(before.id, controller.signal); // subscribe first, then read
    const run = await store.getRun(before.id);
    const finished = run.status === "completed" || run.status === "failed";
    const suspendedAgain = run.status === "waiting" && run.leaseOwner === null && position(run) !== position(before);
    if (finished || suspendedAgain || Date.now() >= deadline) {
      controller.abort();
      clearTimeout(timer);
      await change.catch(() => {});
      if (finished || suspendedAgain) return run;
      throw new Error(`run ${before.id} did not settle within ${timeoutMs} ms (status ${run.status})`);
    }
    await change.catch(() => {});
    clearTimeout(timer);
  }
}

export const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
