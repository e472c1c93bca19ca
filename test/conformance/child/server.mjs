// A crash child: serves one compiled corpus endpoint over node:http on
// 127.0.0.1 (port printed as {"port":n} on stdout) with a SQLite store, logs
// every committed checkpoint next to the probes, and kills itself with
// SIGKILL right after checkpoint number CONFORMANCE_CRASH_AFTER (0 = never).
//
// usage: node server.mjs <compiled module.mjs> <export name>
// env: CONFORMANCE_DB, CONFORMANCE_LOG, CONFORMANCE_INCARNATION, CONFORMANCE_CRASH_AFTER, DURABLE_LEASE_MS
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";

const [modulePath, exportName = "handler"] = process.argv.slice(2);
const crashAfter = Number(process.env.CONFORMANCE_CRASH_AFTER ?? 0);
const incarnation = Number(process.env.CONFORMANCE_INCARNATION);
const store = sqliteStore({ path: process.env.CONFORMANCE_DB });
let checkpoints = 0;

globalThis.__conformanceStore = new Proxy(store, {
  get(target, name) {
    if (name !== "checkpoint") {
      const value = target[name];
      return typeof value === "function" ? value.bind(target) : value;
    }
    return async (cp) => {
      const ok = await target.checkpoint(cp);
      if (ok) {
        checkpoints++;
        const entry = { kind: "checkpoint", incarnation, stepId: cp.step?.id, stepStatus: cp.step?.status, runStatus: cp.run.status, state: cp.run.state };
        appendFileSync(process.env.CONFORMANCE_LOG, JSON.stringify(entry) + "\n");
        if (checkpoints === crashAfter) process.kill(process.pid, "SIGKILL");
      }
      return ok;
    };
  },
});

const module = await import(pathToFileURL(modulePath).href);
const server = createServer(toNodeHandler(module[exportName]));
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
