/**
 * P3/P8/P10 server process: serves one endpoint of fixtures/endpoints.ts
 * (default the 3-step one) with node:http + toNodeHandler on 127.0.0.1, in
 * its own process so the load generator does not share its event loop.
 * Usage: node http-server.mjs <compiled|plain> <store URL> [endpoint]
 * (`sqlite:///abs.db`, `postgres://…?schema=…`; ignored by plain).
 * Prints {"port": N} once listening.
 */
import { createServer } from "node:http";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { openStore } from "@durable-endpoints/runtime";
import { loadEndpoints } from "../lib/fixtures.mjs";

const [flavor, storeUrl, endpoint = "threeSteps"] = process.argv.slice(2);
const { createEndpoints } = await loadEndpoints(flavor);
// The plain flavour ignores the store; the same adapter serves both, so only durability differs.
const endpoints = createEndpoints(flavor === "plain" ? undefined : await openStore(storeUrl, "bench"));
const server = createServer(toNodeHandler(endpoints[endpoint]));
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
// exit normally on SIGTERM, so `node --cpu-prof` writes its profile
process.on("SIGTERM", () => process.exit(0));
