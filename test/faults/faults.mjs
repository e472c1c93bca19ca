// The fault-injection suite: many runs of fault-endpoint.mjs, several at once (a loaded machine), each
// through its own app processes and store, each with one injected fault (plan.mjs) and its event sent
// at a random moment; every run checked against the invariants of checks.mjs. Postgres runs use a
// private cluster (never the shared test server's restarts) behind a fault proxy per run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startPostgresCluster } from "../support/postgres-cluster.mjs";
import { inParallel } from "../support/processes.mjs";
import { check } from "./checks.mjs";
import { FAULT_KINDS, makePlans } from "./plan.mjs";
import { runScenario } from "./scenario.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENDPOINT = fileURLToPath(new URL("./fault-endpoint.mjs", import.meta.url));

/**
 * @param {object} options
 * @param {number} options.runs
 * @param {number} [options.concurrency=6]  runs (process pairs) in flight at once
 * @param {number} [options.seed=1]
 * @param {string[]} [options.stores]
 * @param {string[]} [options.kinds]  only these fault kinds (default: all)
 * @param {number} [options.deadlineMs=60000]  a run unfinished this long after it started is a violation
 * @param {(line: string) => void} [options.log]
 */
export async function runFaults({ runs, concurrency = 6, seed = 1, stores = ["sqlite", "postgres"], kinds, deadlineMs = 60_000, log = () => {} }) {
  const tag = `${process.pid}${Date.now().toString(36)}`.slice(-10);
  const dir = mkdtempSync(join(tmpdir(), "durable-faults-"));
  const cluster = stores.includes("postgres") ? await startPostgresCluster() : null;
  try {
    const compiled = await compileEndpoint(tag);
    log(compiled.path ? `compiled endpoint: ${compiled.path}` : `compiled endpoint unavailable: ${compiled.reason}`);
    const ctx = { dir, tag, pgUrl: cluster?.url, modules: { plain: ENDPOINT, compiled: compiled.path }, deadlineMs };
    const plans = makePlans({ runs, seed, stores, compiled: compiled.path !== undefined, only: kinds });
    const started = Date.now();
    let done = 0;
    const results = await inParallel(
      plans.length,
      async (index) => {
        const observed = await runScenario(ctx, plans[index]);
        const problems = check(observed);
        if (++done % Math.max(1, Math.floor(plans.length / 10)) === 0) log(`${done}/${plans.length} runs done`);
        if (problems.length > 0) log(`run ${observed.key} (${describePlan(observed.plan)}): ${problems.join("; ")}`);
        else if (process.env.FAULT_VERBOSE) log(`run ${observed.key} (${describePlan(observed.plan)}) ok in ${Math.round(observed.finished - observed.started)} ms`);
        return { observed, problems };
      },
      { concurrency },
    );
    const report = summarize(results, { seed, concurrency, wallMs: Date.now() - started, compiled: compiled.path ? "yes" : `no (${compiled.reason})` });
    if (report.violations.length === 0) rmSync(dir, { recursive: true, force: true });
    else report.evidence = dir; // the ledgers of the failing runs stay for a look
    return report;
  } finally {
    rmSync(join(ROOT, "node_modules", ".cache", `faults-${tag}`), { recursive: true, force: true });
    await cluster?.destroy();
  }
}

const describePlan = (plan) =>
  `${plan.store}, ${plan.compiled ? "compiled" : "plain"}, ${plan.fault.kind}${plan.fault.afterCheckpoint ? ` after checkpoint ${plan.fault.afterCheckpoint}` : ""}${plan.fault.atProbe ? ` at ${plan.fault.atProbe}` : ""}${plan.fault.lockAt ? ` at ${plan.fault.lockAt}` : ""}${plan.fault.statement !== undefined ? ` at statement ${plan.fault.statement}` : ""}, events ${describeSends(plan.sends)}`;

/** e.g. "e0@first-saved+12ms/sender e0@after-run/instance" (none: "never") */
const describeSends = (sends) => (sends.length === 0 ? "never" : sends.map((s) => `e${s.event}@${s.at}${s.delayMs ? `+${s.delayMs}ms` : ""}/${s.via}`).join(" "));

function summarize(results, figures) {
  const faults = {};
  for (const kind of Object.keys(FAULT_KINDS)) faults[kind] = { runs: 0, injected: 0 };
  const byStore = {};
  const events = { runsWithout: 0, sends: 0, resends: 0, viaSender: 0, late: 0, moments: {}, delivered: 0, sharedBySiblings: 0, mustDeliver: 0, mustNot: 0, receivedBefore: 0 };
  for (const { observed } of results) {
    const { plan } = observed;
    faults[plan.fault.kind].runs++;
    if (observed.fired) faults[plan.fault.kind].injected++;
    // runs where an instance was fenced out (a checkpoint refused: another took the lease)
    if (observed.log?.some((e) => e.kind === "checkpoint" && e.outcome === "refused")) faults[plan.fault.kind].fencedOut = (faults[plan.fault.kind].fencedOut ?? 0) + 1;
    // the held SQLite lock: runs where a checkpoint was sent while it was held
    if (observed.writesBlocked > 0) faults[plan.fault.kind].writeBlocked = (faults[plan.fault.kind].writeBlocked ?? 0) + 1;
    byStore[plan.store] = (byStore[plan.store] ?? 0) + 1;
    if (plan.sends.length === 0) events.runsWithout++;
    const ids = new Set();
    for (const send of observed.sends) {
      events.sends++;
      if (ids.has(send.id)) events.resends++;
      ids.add(send.id);
      if (send.via === "sender") events.viaSender++;
      if (send.late) events.late++;
      events.moments[send.at] = (events.moments[send.at] ?? 0) + 1;
    }
    // the (wait, event) pairs the checker judged: waits resolved, events due to a wait that timed out, events it must not get
    const judged = observed.judged ?? {};
    events.delivered += judged.delivered ?? 0;
    events.sharedBySiblings += judged.sharedBySiblings ?? 0;
    events.mustDeliver += judged.mustDeliver ?? 0;
    events.mustNot += judged.mustNot ?? 0;
    events.receivedBefore += judged.received ?? 0;
  }
  const failing = results.filter((r) => r.problems.length > 0);
  return {
    runs: results.length,
    ...figures,
    runsPerMinute: Math.round((results.length / figures.wallMs) * 60_000),
    runMs: spread(results.map((r) => r.observed.finished - r.observed.started)),
    stores: byStore,
    compiledRuns: results.filter((r) => r.observed.plan.compiled).length,
    faults,
    events,
    takeovers: results.filter((r) => r.observed.exits.some((x) => x.name !== "p1" && x.name !== "p2") || r.observed.exits.length > 1).length,
    violations: failing.map((r) => ({ key: r.observed.key, plan: describePlan(r.observed.plan), problems: r.problems })),
  };
}

/** median and slowest of some durations (ms) */
function spread(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return { median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0), max: Math.round(sorted.at(-1) ?? 0) };
}

/** The endpoint compiled by the transform, next to a node_modules the runtime resolves from. */
async function compileEndpoint(tag) {
  let result;
  try {
    const { transform } = await import("@durable-endpoints/transform");
    result = transform(readFileSync(ENDPOINT, "utf8"), { filename: ENDPOINT, root: ROOT });
  } catch (error) {
    return { reason: `the transform failed: ${error.message}` };
  }
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { reason: errors.map((d) => d.message).join("; ") };
  if (result.endpoints.length === 0) return { reason: "the transform found no endpoint" };
  const dir = join(ROOT, "node_modules", ".cache", `faults-${tag}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "fault-endpoint.compiled.mjs");
  // the copy lives elsewhere: point its relative import back at the source tree
  const app = pathToFileURL(fileURLToPath(new URL("./fault-app.mjs", import.meta.url))).href;
  writeFileSync(path, result.code.replace(`"./fault-app.mjs"`, JSON.stringify(app)));
  return { path };
}
