/** `durable runs [--store URL] [--limit N] [--endpoint ID]`: the newest runs first. */
import { positiveInt } from "../args.js";
import type { Command } from "../command.js";
import { formatTime } from "../format.js";
import { resolveStoreUrl, withStore } from "../store.js";
import { table } from "../table.js";

export const runsCommand: Command = async ({ args, io, env }) => {
  const url = resolveStoreUrl(args.options.get("store"), env);
  const limit = positiveInt(args.options.get("limit"), "limit", 50);
  const endpoint = args.options.get("endpoint");
  const runs = await withStore(url, (store) => store.listRuns({ limit, ...(endpoint ? { endpoint } : {}) }));

  if (args.flags.has("json")) {
    const rows = runs.map((r) => ({
      id: r.id,
      status: r.status,
      endpoint: r.endpoint,
      version: r.version,
      state: r.state,
      stepsDone: r.stepsDone,
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
      wakeAt: r.wakeAt === null ? null : new Date(r.wakeAt).toISOString(),
    }));
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    io.out(`no runs in ${url}`);
    return 0;
  }
  io.out(
    table(
      ["RUN", "STATUS", "ENDPOINT", "STARTED", "STEPS"],
      runs.map((r) => [r.id, r.status, r.endpoint, formatTime(r.createdAt), r.stepsDone]),
      [4],
    ),
  );
  return 0;
};
