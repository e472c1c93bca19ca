/**
 * A sample of the corpus with real processes: a child node process (built
 * runtime, SQLite store) serves the compiled endpoint over node:http, kills
 * itself with SIGKILL right after checkpoint N, and a new process resumes the
 * run through the same Idempotency-Key request. Every N of each sample case.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { casesOf } from "./harness/cases.js";
import { checkResumed, checkSameProbes, compareResponse } from "./harness/check.js";
import { httpEndpoint, readLog, startChild, type Child } from "./harness/child.js";
import { drive } from "./harness/drive.js";
import { conformanceDir, prepare, repoRoot } from "./harness/loader.js";
import { oracleOf } from "./harness/suite.js";
import { World } from "./harness/world.js";
import { printSummary } from "./report.js";

const SAMPLE = [
  "sequential-steps",
  "for-loop",
  "try-catch-step-error",
  "promise-all",
  "sleep",
  "retries-eventual-success",
  "finally-pending-return",
  "seed-fetch-data",
];
const LEASE_MS = 300;
const cases = (await Promise.all(SAMPLE.map((name) => casesOf(resolve(conformanceDir, "corpus", `${name}.ts`))))).map((c) => c[0]!);
const counted = { cases: 0, "SIGKILLs": 0 };
const dir = mkdtempSync(join(tmpdir(), "conformance-sigkill-"));
const children = new Set<Child>();

beforeAll(() => {
  execFileSync("npx", ["turbo", "run", "build", "--filter=@durable-endpoints/runtime"], { cwd: repoRoot, stdio: "ignore" });
}, 300_000);

afterAll(() => {
  for (const child of children) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  printSummary("real SIGKILL", counted);
});

let executions = 0;

/** One execution: fresh database and log; incarnation 1 crashes after `crashAfter` checkpoints (0 = never). */
async function execute(c: (typeof cases)[number], modulePath: string, crashAfter: number) {
  const id = ++executions;
  const db = join(dir, `${id}.db`);
  const log = join(dir, `${id}.log`);
  writeFileSync(log, "");
  const key = `sigkill-${id}`;
  const deadline = Date.now() + 20_000;
  const exportName = c.spec.endpoint ?? "handler";
  const spawnChild = async (incarnation: number, crash: number) => {
    const child = await startChild({ modulePath, exportName, db, log, incarnation, crashAfter: crash, leaseMs: LEASE_MS });
    children.add(child);
    return child;
  };

  const first = await spawnChild(1, crashAfter);
  const outcome = await drive(httpEndpoint(first.port), c.spec, key, deadline).catch((error: Error) => error);
  if (!(outcome instanceof Error)) {
    first.process.kill("SIGTERM");
    await first.exited;
    children.delete(first);
    return { response: outcome, log: readLog(log), killed: false };
  }
  const { signal } = await first.exited;
  children.delete(first);
  expect(signal, `incarnation 1 failed without being killed: ${outcome.message}`).toBe("SIGKILL");
  await new Promise((r) => setTimeout(r, LEASE_MS + 50));
  const second = await spawnChild(2, 0);
  try {
    return { response: await drive(httpEndpoint(second.port), c.spec, key, deadline), log: readLog(log), killed: true };
  } finally {
    second.process.kill("SIGTERM");
    await second.exited;
    children.delete(second);
  }
}

describe.each(cases)("$name", (c) => {
  test("SIGKILL after every checkpoint, resumed by a new process", { timeout: 300_000 }, async () => {
    const oracle = await oracleOf(c);
    const modulePath = await prepare(c.file, { compiled: true, flavor: "child" });
    const baseline = await execute(c, modulePath, 0);
    const world = (log: typeof baseline.log) => new World("real", {}, log);
    expect(compareResponse(oracle.expected, baseline.response)).toBeUndefined();
    expect(checkSameProbes(oracle.probes, world(baseline.log))).toBeUndefined();
    const checkpoints = baseline.log.filter((e) => e.kind === "checkpoint").length;
    counted.cases++;
    for (let n = 1; n <= checkpoints; n++) {
      const run = await execute(c, modulePath, n);
      expect(run.killed, `no SIGKILL after checkpoint ${n}`).toBe(true);
      counted["SIGKILLs"]++;
      const problem = compareResponse(oracle.expected, run.response) ?? checkResumed(oracle.probes, world(run.log));
      expect(problem, `SIGKILL after checkpoint ${n}`).toBeUndefined();
    }
  });
});
