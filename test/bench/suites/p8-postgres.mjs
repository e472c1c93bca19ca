/**
 * P8 Postgres, the shared store of several instances.
 * - Per step: one request of n trivial steps (compiled, Postgres store, a
 *   long-lived client) vs the physical limit — one raw pg INSERT round trip per
 *   step of the very bytes our store was handed, autocommitted — with the store
 *   alone in between (the same checkpoints replayed, no engine).
 * - Scale-out: requests/s of the 3-step endpoint served by 3 instances (processes)
 *   over one Postgres schema ÷ by 1 instance, same load (autocannon, 12
 *   connections spread over the instances).
 */
import { openStore as openStoreAt } from "@durable-endpoints/runtime";
import { compare, metric, ratio, time } from "../lib/harness.mjs";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { load, startServer } from "../lib/http-load.mjs";
import { benchPostgres } from "../lib/postgres.mjs";
import { recordingStore, replayCheckpoints } from "../lib/recording-store.mjs";
import { printTable } from "../lib/report.mjs";
import { call, client, finalJson, withClient } from "../contenders/ours.mjs";

const settings = {
  quick: { steps: 50, rounds: 3, seconds: 2, loadRounds: 1 },
  default: { steps: 200, rounds: 9, seconds: 5, loadRounds: 3 },
  full: { steps: 500, rounds: 15, seconds: 10, loadRounds: 5 },
};
const CONNECTIONS = 12;

function oursRun(handler, steps) {
  return async () => {
    let body;
    const ms = await time(async () => {
      body = await finalJson(await call(handler, `/steps?n=${steps}`), `${steps} steps on postgres`);
    });
    if (body.last !== steps - 1) throw new Error(`P8: unexpected body ${JSON.stringify(body)}`);
    return ms;
  };
}

/** One INSERT per payload, each its own round trip and transaction (autocommit). */
async function rawInserts(postgres) {
  const pg = await postgres.raw();
  const schema = new URL(postgres.url("raw")).searchParams.get("schema");
  await pg.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await pg.query(`CREATE TABLE "${schema}".checkpoint (seq bigserial PRIMARY KEY, run text NOT NULL, payload text NOT NULL)`);
  const sql = `INSERT INTO "${schema}".checkpoint (run, payload) VALUES ($1, $2)`;
  let runs = 0;
  return (payloads) => async () => {
    const run = `run-${++runs}`;
    return time(async () => {
      for (const payload of payloads) await pg.query(sql, [run, payload]);
    });
  };
}

async function perStep(postgres, { steps, rounds }) {
  const compiled = await loadEndpoints("compiled");
  const store = await openStoreAt(postgres.url("steps"), "bench");
  try {
    const recorder = recordingStore(store, { keepPayloads: true });
    await withClient(compiled, recorder.store, (ep) => oursRun(ep.trivialSteps, steps)());
    const { payloads, checkpoints } = recorder.log;
    const raw = await rawInserts(postgres);
    const server = client(compiled, store); // long-lived, as in a server process
    try {
      const results = await compare(
        {
          compiled_postgres: oursRun(server.trivialSteps, steps),
          postgres_store_only: replayCheckpoints(store, checkpoints),
          raw_pg_insert: raw(payloads),
        },
        { rounds },
      );
      return { results, checkpoints: payloads.length };
    } finally {
      await server.inngest.close();
    }
  } finally {
    await store.close();
  }
}

async function scaleOut(postgres, { seconds, loadRounds }) {
  const storeUrl = postgres.url("http");
  const servers = [];
  try {
    // one at a time: the first creates the schema
    for (let i = 0; i < 3; i++) servers.push(await startServer("compiled", storeUrl));
    const urls = servers.map((s) => s.url);
    return await compare(
      {
        one_instance: () => load([urls[0]], seconds, CONNECTIONS),
        three_instances: () => load(urls, seconds, CONNECTIONS),
      },
      { rounds: loadRounds, warmup: 1 },
    );
  } finally {
    for (const server of servers) await server.stop();
  }
}

export async function run({ mode }) {
  const config = settings[mode];
  const postgres = await benchPostgres("p8");
  try {
    const { results, checkpoints } = await perStep(postgres, config);
    const perStepUs = (name) => (results[name].median * 1000) / checkpoints;
    printTable(
      `P8 one request of ${config.steps} trivial steps on Postgres (ms, median of ${config.rounds}; ${checkpoints} checkpoints)`,
      ["contender", "median ms", "µs per checkpoint", "min", "max"],
      Object.entries(results).map(([name, s]) => [name, s.median, perStepUs(name), s.min, s.max]),
    );
    const scale = await scaleOut(postgres, config);
    printTable(
      `P8 3-step endpoint on Postgres, ${CONNECTIONS} connections, ${config.seconds} s × ${config.loadRounds} rounds (medians)`,
      ["contender", "requests/s", "p99 ms"],
      Object.entries(scale).map(([name, r]) => [name, r.rps.median, r.p99_ms.median]),
    );
    return [
      ratio("P8.step_vs_raw_insert", results, "compiled_postgres", "raw_pg_insert", `ms per ${config.steps}-step request; one autocommitted INSERT per checkpoint`),
      metric("P8.us_per_step", perStepUs("compiled_postgres"), "µs", {
        compiled_postgres: perStepUs("compiled_postgres"),
        postgres_store_only: perStepUs("postgres_store_only"),
        raw_pg_insert: perStepUs("raw_pg_insert"),
      }, "µs per checkpoint"),
      metric("P8.three_vs_one_instance", scale.three_instances.rps.median / scale.one_instance.rps.median, "x", {
        three_instances: scale.three_instances.rps,
        one_instance: scale.one_instance.rps,
        three_p99_ms: scale.three_instances.p99_ms,
        one_p99_ms: scale.one_instance.p99_ms,
      }, `requests/s; ${CONNECTIONS} connections spread over the instances`),
    ];
  } finally {
    await postgres.close();
  }
}
