/**
 * P9 event delivery at scale: `inngest.send()` of one event while N runs wait in
 * `step.waitForEvent("paid", { event: "bench/order", match: "data.order" })`,
 * each for its own order — the event resolves exactly one of them. N = 100,000
 * (10,000 with --quick) ÷ N = 1,000: delivery should find the one wait by event
 * name and match, not scan every wait.
 *
 * One run is started through the endpoint; the other N−1 are its copies (run,
 * step, wait) written through the store's own API (Postgres: its rows copied in
 * SQL) with their own order in the trigger data, their waits keyed by the
 * runtime's own `matchKey` as a real suspension would key them — setup, not timed. The sending client loads no endpoint, so no
 * resume follows a delivery. Each round sends the event of another order and
 * checks that exactly its run's wait was resolved.
 */
import { Inngest, openStore as openStoreAt } from "@durable-endpoints/runtime";
// internal: the key a suspension indexes a wait under (copies must be indexed like real runs)
const { matchKey } = await import(new URL("events.js", import.meta.resolve("@durable-endpoints/runtime")).href);
import { compare, ratio, time } from "../lib/harness.mjs";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { benchPostgres } from "../lib/postgres.mjs";
import { recordingStore } from "../lib/recording-store.mjs";
import { printTable } from "../lib/report.mjs";
import { call, keepOpen, openStore, withClient } from "../contenders/ours.mjs";

const SIZES = { quick: [1_000, 10_000], default: [1_000, 100_000], full: [1_000, 100_000] };
const KINDS = ["memory", "sqlite", "postgres"];

/**
 * `store` with `n` runs waiting for their own "bench/order" event; returns their ids by order number.
 * `copyRows` (Postgres) copies the template's rows in SQL instead of through the store's API.
 */
async function populate(store, n, copyRows) {
  const compiled = await loadEndpoints("compiled");
  const recorder = recordingStore(store, { keepPayloads: true });
  const res = await withClient(compiled, recorder.store, (ep) => call(ep.awaitOrder, "/order?order=0"));
  if (res.status !== 303) throw new Error(`P9: expected the order run to suspend (303), got ${res.status} ${await res.text()}`);
  const suspension = recorder.log.checkpoints.find((cp) => cp.wait);
  const template = await store.getRun(suspension.runId);
  if (suspension.wait.matchKey !== matchKey("0")) throw new Error("P9: the runtime no longer keys waits with events.js matchKey(); update the copies");
  const copies = Array.from({ length: n - 1 }, (_, j) => {
    const order = String(j + 1);
    return { id: `${template.id.slice(0, 12)}${order.padStart(10, "0")}`, trigger: JSON.stringify({ order }), key: matchKey(order) };
  });
  if (copyRows) await copyRows(template.id, copies);
  else {
    for (const { id, trigger, key } of copies) {
      await store.createRun({ ...template, id, trigger, status: "running", leaseOwner: "bench", leaseExpiresAt: Date.now() + 60_000, fence: 1 });
      const ok = await store.checkpoint({
        ...suspension,
        runId: id,
        fence: 1,
        step: { ...suspension.step, runId: id },
        wait: { ...suspension.wait, runId: id, matchKey: key },
      });
      if (!ok) throw new Error("P9: a copied run's suspension was rejected");
    }
  }
  return [template.id, ...copies.map((c) => c.id)];
}

/**
 * Postgres copies in one statement per table: the template run's own rows (as its suspension wrote
 * them) with the id, trigger and match key of each copy — through the API, 100,000 copies take
 * minutes of round trips (a transaction of ~7 per suspension).
 */
async function postgresRowCopier(postgres, url) {
  const schema = new URL(url).searchParams.get("schema");
  const pg = await postgres.raw();
  const swaps = {
    runs: { id: "c.id", trigger_data: "c.trigger" },
    steps: { run_id: "c.id" },
    waits: { run_id: "c.id", match_key: "c.key" },
  };
  return async (templateId, copies) => {
    for (const [table, swap] of Object.entries(swaps)) {
      const { rows } = await pg.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND is_identity = 'NO' ORDER BY ordinal_position",
        [schema, table],
      );
      const columns = rows.map((r) => r.column_name);
      const templateKey = table === "runs" ? "id" : "run_id";
      await pg.query(
        `INSERT INTO "${schema}".${table} (${columns.join(", ")}) SELECT ${columns.map((c) => swap[c] ?? `t.${c}`).join(", ")}
         FROM "${schema}".${table} t, unnest($2::text[], $3::text[], $4::text[]) AS c(id, trigger, key) WHERE t.${templateKey} = $1`,
        [templateId, copies.map((c) => c.id), copies.map((c) => c.trigger), copies.map((c) => c.key)],
      );
    }
  };
}

async function sender(store, n, copyRows) {
  const ids = await populate(store, n, copyRows);
  const inngest = new Inngest({ id: "bench-sender", store: keepOpen(store), logger: { info() {}, warn() {}, error: console.error } });
  const unsent = ids.map((_, i) => i).sort(() => Math.random() - 0.5);
  const contender = async () => {
    const order = unsent.pop();
    const ms = await time(() => inngest.send({ name: "bench/order", data: { order: String(order) } }));
    const step = await store.getStep(ids[order], "paid");
    if (step?.status !== "completed") throw new Error(`P9: the event of order ${order} did not resolve its wait (step ${JSON.stringify(step)})`);
    return ms;
  };
  return { contender, close: () => inngest.close() };
}

export async function run({ mode, tmp }) {
  const [small, large] = SIZES[mode];
  const rounds = mode === "quick" ? 5 : mode === "full" ? 31 : 15;
  const label = (n) => (n >= 1000 ? `${n / 1000}k` : String(n));
  const postgres = await benchPostgres("p9");
  const contenders = {};
  const closers = [];
  try {
    for (const kind of KINDS) {
      for (const n of [small, large]) {
        const url = kind === "postgres" ? postgres.url(`n${n}`) : undefined;
        const store = url ? await openStoreAt(url, "bench") : openStore(kind, tmp, `p9-${n}`);
        closers.push(() => store.close());
        const made = await sender(store, n, url && (await postgresRowCopier(postgres, url)));
        closers.push(made.close);
        contenders[`${kind}_${label(n)}`] = made.contender;
      }
    }
    const results = await compare(contenders, { rounds });
    printTable(
      `P9 send() of one event, N runs waiting for their own order (ms, median of ${rounds})`,
      ["contender", "median ms", "min", "max"],
      Object.entries(results).map(([name, s]) => [name, s.median, s.min, s.max]),
    );
    return KINDS.map((kind) =>
      ratio(`P9.send_${label(large)}_vs_${label(small)}_${kind}`, results, `${kind}_${label(large)}`, `${kind}_${label(small)}`, "ms per send() resolving one wait"),
    );
  } finally {
    for (const close of closers.reverse()) await close();
    await postgres.close();
  }
}
