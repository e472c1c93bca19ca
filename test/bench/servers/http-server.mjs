/**
 * P3 server process: serves the 3-step endpoint with node:http + toNodeHandler
 * on 127.0.0.1, in its own process so the load generator does not share its
 * event loop. Usage: node http-server.mjs <compiled|plain> <sqlite file>
 * Prints {"port": N} once listening.
 */
import { createServer } from "node:http";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";
import { loadEndpoints } from "../lib/fixtures.mjs";

const [flavor, dbPath] = process.argv.slice(2);
const { createEndpoints } = await loadEndpoints(flavor);
// The plain flavour ignores the store; the same adapter serves both, so only durability differs.
const { threeSteps } = createEndpoints(flavor === "plain" ? undefined : sqliteStore({ path: dbPath }));
const server = createServer(toNodeHandler(threeSteps));
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
// exit normally on SIGTERM, so `node --cpu-prof` writes its profile
process.on("SIGTERM", () => process.exit(0));
