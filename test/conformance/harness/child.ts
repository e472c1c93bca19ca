/**
 * Real processes: a crash child (child/server.mjs, built runtime, SQLite) serving one compiled corpus
 * endpoint on 127.0.0.1 — started by test/support/processes.mjs — and an HTTP endpoint adapter so
 * `drive()` can talk to it like any client.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startApp, type RunningServer } from "../../support/processes.mjs";
import type { Endpoint } from "./drive.js";
import { conformanceDir } from "./loader.js";
import type { LogEntry } from "./world.js";

export interface ChildOptions {
  modulePath: string;
  exportName: string;
  db: string;
  log: string;
  leaseMs: number;
}

/** `env` and `incarnation` come from crashAndTakeOver (the crash plan of incarnation 1). */
export function startChild(o: ChildOptions, env: Record<string, string>, incarnation: number): Promise<RunningServer> {
  return startApp(resolve(conformanceDir, "child/server.mjs"), {
    args: [o.modulePath, o.exportName],
    env: {
      CONFORMANCE_DB: o.db,
      CONFORMANCE_LOG: o.log,
      CONFORMANCE_INCARNATION: String(incarnation),
      DURABLE_LEASE_MS: String(o.leaseMs),
      ...env,
    },
  });
}

/** Transport headers a real HTTP hop adds; not part of the handler's Response. */
const TRANSPORT = ["date", "connection", "keep-alive", "transfer-encoding", "content-length"];

/** Sends requests meant for http://127.0.0.1/… to the child. */
export function httpEndpoint(base: string): Endpoint {
  return async (req) => {
    const url = new URL(req.url);
    url.port = new URL(base).port;
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    const res = await fetch(url, { method: req.method, headers: req.headers, body, redirect: "manual" });
    const headers = new Headers(res.headers);
    for (const name of TRANSPORT) headers.delete(name);
    return new Response(await res.arrayBuffer(), { status: res.status, headers });
  };
}

export function readLog(path: string): LogEntry[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogEntry);
}
