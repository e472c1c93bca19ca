// A generic app process: serves an endpoint module on node:http (the built runtime), with the crash
// plan of app-child.mjs. The module exports its client as `inngest` (built with `store: await
// appStore()` so checkpoints are watched) and the endpoint as `handler` (or the export named on the
// command line). POST /send delivers an event (body: the event); every other path goes to the endpoint.
// The scheduler starts at boot, so the process takes over due and orphaned runs by itself.
//
// usage: node app-server.mjs <module.mjs> [export name]
// env: DURABLE_STORE_URL, DURABLE_LEASE_MS, DURABLE_TEST_CRASH_AFTER_CHECKPOINT, DURABLE_TEST_CRASH_AT_PROBE
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { sendRoute, serve } from "./app-child.mjs";

const [modulePath, exportName = "handler"] = process.argv.slice(2);
const app = await import(pathToFileURL(resolve(modulePath)).href);

serve({ "/send": sendRoute(app.inngest), "*": toNodeHandler(app[exportName]) });
app.inngest.start().catch((error) => console.error(error));
