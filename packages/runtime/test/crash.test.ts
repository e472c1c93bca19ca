/**
 * Real crashes: a child process serving a compiled endpoint on SQLite is
 * SIGKILLed inside a step; a new process on the same file finishes the run,
 * through an Idempotency-Key retry or through its scheduler. Runs the built
 * dist/ (build the runtime first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { startApp, type RunningServer } from "../../../test/support/processes.mjs";
import { requireBuiltRuntime } from "./helpers.js";

const fixture = fileURLToPath(new URL("./fixtures/crash-server.mjs", import.meta.url));
let dir: string;
const children: RunningServer[] = [];

beforeEach(() => {
  requireBuiltRuntime();
  dir = mkdtempSync(join(tmpdir(), "durable-crash-"));
});

afterEach(async () => {
  for (const child of children.splice(0)) await child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<RunningServer> {
  const child = await startApp(fixture, { env: { DB: join(dir, "runs.db"), LOG: join(dir, "steps.log"), ...env } });
  children.push(child);
  return child;
}

const logLines = () => (existsSync(join(dir, "steps.log")) ? readFileSync(join(dir, "steps.log"), "utf8").trim().split("\n") : []);
const steps = () => logLines().map((line) => line.split(":")[1]);

async function until(condition: () => boolean, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log: ${logLines().join(", ")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function killDuringStepTwo(): Promise<void> {
  const first = await serve({ HANG_IN: "two" });
  // the request never gets an answer: its process dies inside step "two"
  fetch(`${first.url}/api/crash?n=5`, { headers: { "idempotency-key": "job-1" } }).catch(() => {});
  await until(() => steps().includes("two"), 'step "two" to start');
  await first.kill("SIGKILL");
}

describe("SIGKILL mid-run (SQLite, compiled machine)", () => {
  test("a new process resumes the run through the same Idempotency-Key", async () => {
    await killDuringStepTwo();
    const second = await serve({});
    let res: Response;
    // 303 while the dead lease is still live; fetch follows it and long-polls; retry until the takeover
    do {
      res = await fetch(`${second.url}/api/crash?n=5`, { headers: { "idempotency-key": "job-1" }, redirect: "manual" });
      if (res.status === 303) await new Promise((r) => setTimeout(r, 100));
    } while (res.status === 303);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ a: 6, b: 12, c: 13 });
    // "start" and "one" ran once (before the crash); "two" was in flight: twice; "three" once
    expect(steps()).toEqual(["start", "one", "two", "two", "three"]);
  });

  test("a new process's scheduler resumes the orphaned run on its own", async () => {
    await killDuringStepTwo();
    const second = await serve({ START: "1" });
    await until(() => steps().includes("three"), "the scheduler to finish the run");
    const res = await fetch(`${second.url}/api/crash?n=5`, { headers: { "idempotency-key": "job-1" } });
    expect(await res.json()).toEqual({ a: 6, b: 12, c: 13 });
    expect(steps()).toEqual(["start", "one", "two", "two", "three"]);
    const pids = new Set(logLines().map((line) => line.split(":")[0]));
    expect(pids.size).toBe(2);
  });
});
