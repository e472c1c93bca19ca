/**
 * Real processes: a crash child (child/server.mjs, built runtime, SQLite)
 * serving one compiled corpus endpoint on 127.0.0.1, and an HTTP endpoint
 * adapter so `drive()` can talk to it like any client.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Endpoint } from "./drive.js";
import { conformanceDir } from "./loader.js";
import type { LogEntry } from "./world.js";

export interface Child {
  port: number;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildOptions {
  modulePath: string;
  exportName: string;
  db: string;
  log: string;
  incarnation: number;
  crashAfter: number;
  leaseMs: number;
}

export async function startChild(o: ChildOptions): Promise<Child> {
  const child = spawn(process.execPath, [resolve(conformanceDir, "child/server.mjs"), o.modulePath, o.exportName], {
    env: {
      ...process.env,
      CONFORMANCE_DB: o.db,
      CONFORMANCE_LOG: o.log,
      CONFORMANCE_INCARNATION: String(o.incarnation),
      CONFORMANCE_CRASH_AFTER: String(o.crashAfter),
      DURABLE_LEASE_MS: String(o.leaseMs),
      NODE_ENV: "production",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal })),
  );
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) => resolvePort((JSON.parse(line) as { port: number }).port));
    void exited.then(({ code, signal }) => reject(new Error(`crash child exited (${code ?? signal}) before listening:\n${stderr}`)));
  });
  return { port, process: child, exited };
}

/** Transport headers a real HTTP hop adds; not part of the handler's Response. */
const TRANSPORT = ["date", "connection", "keep-alive", "transfer-encoding", "content-length"];

/** Sends requests meant for http://127.0.0.1/… to the child's port. */
export function httpEndpoint(port: number): Endpoint {
  return async (req) => {
    const url = new URL(req.url);
    url.port = String(port);
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
