// A crash child: serves one compiled corpus endpoint (test/support/app-child.mjs: port printed as
// {"port":n}, SIGKILL after checkpoint DURABLE_TEST_CRASH_AFTER_CHECKPOINT) with a SQLite store, and
// logs every committed checkpoint next to the probes.
//
// usage: node server.mjs <compiled module.mjs> <export name>
// env: CONFORMANCE_DB, CONFORMANCE_LOG, CONFORMANCE_INCARNATION, DURABLE_TEST_CRASH_AFTER_CHECKPOINT, DURABLE_LEASE_MS
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";
import { serve, watchCheckpoints } from "../../support/app-child.mjs";

const [modulePath, exportName = "handler"] = process.argv.slice(2);
const incarnation = Number(process.env.CONFORMANCE_INCARNATION);

globalThis.__conformanceStore = watchCheckpoints(sqliteStore({ path: process.env.CONFORMANCE_DB }), ({ checkpoint: cp, ok }) => {
  if (!ok) return;
  const entry = { kind: "checkpoint", incarnation, stepId: cp.step?.id, stepStatus: cp.step?.status, runStatus: cp.run.status, state: cp.run.state };
  appendFileSync(process.env.CONFORMANCE_LOG, JSON.stringify(entry) + "\n");
});

const module = await import(pathToFileURL(modulePath).href);
serve({ "*": toNodeHandler(module[exportName]) });
