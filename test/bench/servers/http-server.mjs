/**
 * P3/P8 server process: serves the 3-step endpoint with node:http +
 * toNodeHandler on 127.0.0.1, in its own process so the load generator does
 * not share its event loop. Usage: node http-server.mjs <compiled|plain> <store URL>
 * (`sqlite:///abs.db`, `postgres://…?schema=…`; ignored by plain).
 * Prints {"port": N} once listening.
 */
import { createServer } from "node:http";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { openStore } from "@durable-endpoints/runtime";
import { loadEndpoints } from "../lib/fixtures.mjs";

const [flavor, storeUrl] = process.argv.slice(2);
const { createEndpoints } = await loadEndpoints(flavor);
// The plain flavour ignores the store; the same adapter serves both, so only durability differs.
const { threeSteps } = createEndpoints(flavor === "plain" ? undefined : await openStore(storeUrl, "bench"));
const server = createServer(toNodeHandler(threeSteps));
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
// exit normally on SIGTERM, so `node --cpu-prof` writes its profile
process.on("SIGTERM", () => process.exit(0));
