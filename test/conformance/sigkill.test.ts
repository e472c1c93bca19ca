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
import { crashAndTakeOver } from "../support/processes.mjs";
import { httpEndpoint, readLog, startChild } from "./harness/child.js";
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

beforeAll(() => {
  execFileSync("npx", ["turbo", "run", "build", "--filter=@durable-endpoints/runtime"], { cwd: repoRoot, stdio: "ignore" });
}, 300_000);

afterAll(() => {
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
  const deadline = Date.now() + 20_000;
  const options = { modulePath, exportName: c.spec.endpoint ?? "handler", db, log, leaseMs: LEASE_MS };
  const outcome = await crashAndTakeOver({
    start: (env, incarnation) => startChild(options, env, incarnation),
    crash: { afterCheckpoint: crashAfter },
    request: (child) => drive(httpEndpoint(child.url), c.spec, `sigkill-${id}`, deadline),
    pauseMs: LEASE_MS + 50,
  });
  if (!outcome.killed && outcome.first instanceof Error) throw outcome.first;
  return { response: (outcome.killed ? outcome.second : outcome.first) as Awaited<ReturnType<typeof drive>>, log: readLog(log), killed: outcome.killed };
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
