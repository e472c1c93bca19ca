// One app instance for the chaos test: the built runtime on node:http (test/support/app-child.mjs:
// 127.0.0.1, port printed as {"port":n}), a Postgres store shared with the other instances, the chaos endpoint as a
// plain handler (/plain) and, when CHAOS_COMPILED names the compiled module, compiled (/compiled).
// POST /send delivers an event. Checkpoints are logged with their fence (ledger.mjs). env: CHAOS_PG_URL, CHAOS_STORE_SCHEMA, CHAOS_LEDGER_SCHEMA,
// CHAOS_COMPILED (optional), DURABLE_LEASE_MS.
import { pathToFileURL } from "node:url";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { sendRoute, serve, watchCheckpoints } from "../support/app-child.mjs";
import { ledgerWriter } from "./ledger.mjs";

const { CHAOS_PG_URL, CHAOS_STORE_SCHEMA, CHAOS_LEDGER_SCHEMA, CHAOS_COMPILED } = process.env;
const quiet = { info() {}, warn() {}, error() {} };
const logger = process.env.CHAOS_VERBOSE ? console : quiet;

const { effect, flaky, recordCheckpoint } = ledgerWriter(CHAOS_PG_URL, CHAOS_LEDGER_SCHEMA);
globalThis.chaos = {
  store: watchCheckpoints(postgresStore({ connectionString: CHAOS_PG_URL, schema: CHAOS_STORE_SCHEMA }), recordCheckpoint),
  logger,
  effect,
  flaky,
};

const plain = await import("./chaos-endpoint.mjs");
const compiled = CHAOS_COMPILED ? await import(pathToFileURL(CHAOS_COMPILED).href) : null;

serve({
  "/plain": toNodeHandler(plain.handler),
  ...(compiled && { "/compiled": toNodeHandler(compiled.handler) }),
  "/send": sendRoute(plain.inngest),
});
// Schedulers start at once, so this instance takes over due and orphaned runs without waiting for a request.
for (const module of [plain, compiled]) module?.inngest.start().catch((error) => logger.error(error));
