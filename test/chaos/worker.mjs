// One app instance for the chaos test: the built runtime on node:http (127.0.0.1, random port,
// printed as {"port":n}), a Postgres store shared with the other instances, the chaos endpoint as a
// plain handler (/plain) and, when CHAOS_COMPILED names the compiled module, compiled (/compiled).
// POST /send delivers an event. Checkpoints are logged with their fence (ledger.mjs). env: CHAOS_PG_URL, CHAOS_STORE_SCHEMA, CHAOS_LEDGER_SCHEMA,
// CHAOS_COMPILED (optional), DURABLE_LEASE_MS.
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { ledgerWriter } from "./ledger.mjs";

const { CHAOS_PG_URL, CHAOS_STORE_SCHEMA, CHAOS_LEDGER_SCHEMA, CHAOS_COMPILED } = process.env;
const quiet = { info() {}, warn() {}, error() {} };
const logger = process.env.CHAOS_VERBOSE ? console : quiet;

const { effect, flaky, recordingCheckpoints } = ledgerWriter(CHAOS_PG_URL, CHAOS_LEDGER_SCHEMA);
globalThis.chaos = {
  store: recordingCheckpoints(postgresStore({ connectionString: CHAOS_PG_URL, schema: CHAOS_STORE_SCHEMA })),
  logger,
  effect,
  flaky,
};

const plain = await import("./chaos-endpoint.mjs");
const compiled = CHAOS_COMPILED ? await import(pathToFileURL(CHAOS_COMPILED).href) : null;

const routes = {
  "/plain": toNodeHandler(plain.handler),
  ...(compiled && { "/compiled": toNodeHandler(compiled.handler) }),
};

const server = createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (path === "/send" && req.method === "POST") return send(req, res);
  const route = routes[path];
  if (route) return route(req, res);
  res.writeHead(404).end();
});

async function send(req, res) {
  try {
    let body = "";
    for await (const chunk of req) body += chunk;
    const { ids } = await plain.inngest.send(JSON.parse(body));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ids }));
  } catch (error) {
    res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
  }
}

// Schedulers start at once, so this instance takes over due and orphaned runs without waiting for a request.
for (const module of [plain, compiled]) module?.inngest.start().catch((error) => logger.error(error));
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
