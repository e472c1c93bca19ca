/**
 * Drives our endpoints the way a client does: web-standard Requests in, the
 * HTTP protocol of DESIGN §4 out (inline Response, or 303 to a poll URL that
 * drives a suspended run forward).
 */
import { join } from "node:path";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";

export const ORIGIN = "http://bench.local";

/** @param {"memory" | "sqlite"} kind */
export function openStore(kind, tmp, name) {
  return kind === "memory" ? memoryStore() : sqliteStore({ path: join(tmp, `${name}.db`) });
}

export async function call(handler, pathOrUrl) {
  return handler(new Request(new URL(pathOrUrl, ORIGIN)));
}

/** Starts a run expected to suspend; returns its absolute poll URL. */
export async function startSuspended(handler, path) {
  const res = await call(handler, path);
  if (res.status !== 303) throw new Error(`${path}: expected 303 (suspended), got ${res.status} ${await res.text()}`);
  return new URL(res.headers.get("location"), new URL(path, ORIGIN)).href;
}

/** Reads a final JSON Response, failing loudly on anything else. */
export async function finalJson(res, what) {
  if (res.status !== 200) throw new Error(`${what}: expected 200, got ${res.status} ${await res.text()}`);
  return res.json();
}

export const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
