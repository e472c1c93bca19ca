/**
 * P1 resume cost vs steps done. A run with k completed steps (then a sleep) is
 * resumed to finish by the poll of its URL:
 * - cold: a fresh client instance, as a new serverless invocation would —
 *   compiled (state machine; memory and SQLite stores) and our replay mode (the
 *   same handler uncompiled);
 * - warm: the long-lived client that started the run (a server process), its
 *   scheduler kept out so the poll is what resumes the run;
 * vs the Inngest SDK's replay (contenders/inngest.mjs) vs plain code (the whole
 * handler, no durability).
 * Then a whole run whose every step suspends, each step resumed by a fresh
 * resume: ours vs Inngest driven like its executor (one request per step).
 */
import { compare, metric, ratio, time } from "../lib/harness.mjs";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { printTable } from "../lib/report.mjs";
import { driveRun, executeOnce, inngestFunction, memoState, repeatedIds } from "../contenders/inngest.mjs";
import { call, client, finalJson, openStore, pause, settled, startSuspended, withClient, withoutScheduler } from "../contenders/ours.mjs";

// rounds per k: small-k resumes take a few ms, so they need more rounds to get a stable median
const settings = {
  quick: { rounds: { 10: 5, 1000: 3 }, wholeRun: 100, wholeRounds: 1 },
  default: { rounds: { 10: 15, 100: 15, 1000: 11, 10000: 5 }, wholeRun: 1000, wholeRounds: 1 },
  full: { rounds: { 10: 31, 100: 31, 1000: 21, 10000: 9 }, wholeRun: 1000, wholeRounds: 3 },
};

const sumTo = (k) => (k * (k - 1)) / 2;

// Sleeps must outlast the suspension itself, or the engine rightly carries on inline.
const RESUME_SLEEP_MS = 250;
const TICK_SLEEP_MS = 30;

function check(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Our contender: prepare a run suspended after k steps, then time one fresh resume (a poll GET) to the end. */
function oursResume(module, store, k) {
  return async () => {
    const { url } = await withClient(module, store, (ep) => startSuspended(ep.resumeAfter, `/resume?k=${k}&ms=${RESUME_SLEEP_MS}`));
    await pause(RESUME_SLEEP_MS + 1);
    let body;
    const ms = await withClient(module, store, (ep) =>
      time(async () => {
        body = await finalJson(await call(ep.resumeAfter, url), `resume k=${k}`);
      }),
    );
    check(body, { total: sumTo(k) }, `resume k=${k}`);
    return ms;
  };
}

/** A long-lived client starts the run, then (once due) answers the poll of its URL: timed from the GET to the body read. */
function oursWarmResume(endpoints, k) {
  return async () => {
    const { url } = await startSuspended(endpoints.resumeAfter, `/resume?k=${k}&ms=${RESUME_SLEEP_MS}`);
    await pause(RESUME_SLEEP_MS + 1);
    let body;
    const ms = await time(async () => {
      body = await finalJson(await call(endpoints.resumeAfter, url), `warm resume k=${k}`);
    });
    check(body, { total: sumTo(k) }, `warm resume k=${k}`);
    return ms;
  };
}

function inngestResume(k) {
  const fn = inngestFunction(async ({ step }) => {
    let total = 0;
    for (let i = 0; i < k; i++) total += await step.run("s", () => i);
    await step.sleep("pause", 1);
    return { total };
  });
  const state = memoState([...repeatedIds("s", k).map((id, i) => [id, i]), ["pause", null]]);
  return async () => {
    let result;
    const ms = await time(async () => {
      result = await executeOnce(fn, state);
    });
    check(result.data, { total: sumTo(k) }, `inngest k=${k}`);
    return ms;
  };
}

function plainRun(plain, k) {
  const { resumeAfter } = plain.createEndpoints();
  return async () => {
    let body;
    const ms = await time(async () => {
      body = await finalJson(await call(resumeAfter, `/resume?k=${k}&ms=0`), `plain k=${k}`);
    });
    check(body, { total: sumTo(k) }, `plain k=${k}`);
    return ms;
  };
}

/**
 * A whole run of n suspending steps: the first request, then per step a fresh
 * client whose poll GET (pollMs 0: answered at once) starts the resume, timed
 * until the run is suspended again. Sleeps are not timed. On a loaded machine a
 * suspension can take longer than the sleep, and the engine then rightly
 * carries on inline: `resumes` reports how many fresh resumes it took.
 */
function oursWholeRun(module, store, n) {
  return async () => {
    let total = 0;
    const { url, runId } = await withClient(module, store, async (ep) => {
      let started;
      total += await time(async () => {
        started = await startSuspended(ep.suspendEach, `/tick?n=${n}&ms=${TICK_SLEEP_MS}`);
      });
      return started;
    });
    for (let resumes = 1; resumes <= n; resumes++) {
      await pause(TICK_SLEEP_MS + 1);
      const before = await store.getRun(runId);
      const run = await withClient(
        module,
        store,
        async (ep) => {
          let after;
          total += await time(async () => {
            await (await call(ep.suspendEach, url)).arrayBuffer();
            after = await settled(store, before);
          });
          return after;
        },
        { pollMs: 0 },
      );
      if (run.status === "completed") return { ms: total, resumes };
    }
    throw new Error(`whole run: not finished after ${n} resumes`);
  };
}

function inngestWholeRun(n) {
  const fn = inngestFunction(async ({ step }) => {
    for (let i = 0; i < n; i++) await step.sleep("tick", 1);
    return { n };
  });
  return async () => {
    let run;
    const ms = await time(async () => {
      run = await driveRun(fn);
    });
    check({ data: run.data, requests: run.requests }, { data: { n }, requests: n + 1 }, "inngest whole run");
    return { ms, resumes: run.requests - 1 };
  };
}

export async function run({ mode, tmp }) {
  const { rounds, wholeRun, wholeRounds } = settings[mode];
  const ks = Object.keys(rounds).map(Number);
  const [compiled, uncompiled, plain] = await Promise.all(["compiled", "uncompiled", "plain"].map(loadEndpoints));
  const memory = openStore("memory", tmp, "p1");
  const sqlite = openStore("sqlite", tmp, "p1");
  const warmMemory = client(compiled, withoutScheduler(memory));
  const warmSqlite = client(compiled, withoutScheduler(sqlite));

  const byK = {};
  for (const k of ks) {
    byK[k] = await compare(
      {
        warm_memory: oursWarmResume(warmMemory, k),
        warm_sqlite: oursWarmResume(warmSqlite, k),
        compiled_memory: oursResume(compiled, memory, k),
        compiled_sqlite: oursResume(compiled, sqlite, k),
        replay_memory: oursResume(uncompiled, memory, k),
        inngest: inngestResume(k),
        plain: plainRun(plain, k),
      },
      { rounds: rounds[k] },
    );
  }
  const names = Object.keys(byK[ks[0]]);
  printTable(
    "P1 resume to finish after k steps (ms, medians; plain = the whole handler once)",
    ["k", "rounds", ...names],
    ks.map((k) => [k, rounds[k], ...names.map((name) => byK[k][name].median)]),
  );

  const whole = await compare(
    {
      compiled_memory: oursWholeRun(compiled, memory, wholeRun),
      replay_memory: oursWholeRun(uncompiled, memory, wholeRun),
      inngest: inngestWholeRun(wholeRun),
    },
    { rounds: wholeRounds, warmup: 0 },
  );
  printTable(
    `P1 whole run of ${wholeRun} steps, each suspending (ms of execution, sleeps excluded)`,
    ["contender", "median ms", "µs per step", "resumes"],
    Object.entries(whole).map(([name, s]) => [name, s.ms.median, (s.ms.median * 1000) / wholeRun, s.resumes.median]),
  );
  await warmMemory.inngest.close();
  await warmSqlite.inngest.close();
  await sqlite.close();
  await memory.close();

  const at = (k) => byK[k];
  /** The slowest median over every k ("flat in k" means the worst k is the figure), in µs or ms. */
  const worst = (name, scale) => {
    const perK = Object.fromEntries(ks.map((k) => [`k${k}`, scale * at(k)[name].median]));
    return { value: Math.max(...Object.values(perK)), perK };
  };
  const resumeMetric = (metricName, name, unit, note) => {
    const { value, perK } = worst(name, unit === "µs" ? 1000 : 1);
    return metric(metricName, value, unit, perK, note);
  };
  return [
    resumeMetric("P1.warm_resume_us_memory", "warm_memory", "µs", "a long-lived client answers the poll of a due run (GET to body read), slowest median over k"),
    resumeMetric("P1.warm_resume_us_sqlite", "warm_sqlite", "µs", "as above, SQLite store"),
    resumeMetric("P1.cold_resume_ms_memory", "compiled_memory", "ms", "a fresh client answers the poll of a due run, slowest median over k"),
    resumeMetric("P1.cold_resume_ms_sqlite", "compiled_sqlite", "ms", "as above, SQLite store"),
    metric("P1.flat", at(1000).compiled_memory.median / at(10).compiled_memory.median, "x", {
      k1000: at(1000).compiled_memory,
      k10: at(10).compiled_memory,
      sqlite_k1000_over_k10: at(1000).compiled_sqlite.median / at(10).compiled_sqlite.median,
    }, "compiled resume time at k=1000 ÷ k=10 (memory store); 1 = flat; contenders in ms per resume"),
    ...ks.map((k) => ratio(`P1.replay_vs_compiled_k${k}`, at(k), "replay_memory", "compiled_memory", "ms per resume")),
    ratio("P1.inngest_vs_compiled_k1000", at(1000), "inngest", "compiled_memory", "one resume after 1000 memoized steps, ours cold; ms per resume"),
    ratio("P1.inngest_vs_warm_k1000", at(1000), "inngest", "warm_memory", "one resume after 1000 memoized steps, ours warm; ms per resume"),
    metric("P1.inngest_full_run_vs_compiled_1000", whole.inngest.ms.median / whole.compiled_memory.ms.median, "x", {
      inngest: whole.inngest.ms,
      compiled_memory: whole.compiled_memory.ms,
      replay_memory: whole.replay_memory.ms,
      compiled_resumes: whole.compiled_memory.resumes.median,
    }, `${wholeRun} steps, each suspending${wholeRun === 1000 ? "" : " (--quick; 1000 in default/--full)"}; ms per whole run`),
  ];
}
