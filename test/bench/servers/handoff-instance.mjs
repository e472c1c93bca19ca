/**
 * P7 process A: a long-lived client over a shared store (SQLite file or
 * Postgres), driven over IPC by the bench (process B):
 *   { start: key, path } → runs `handoff` with that Idempotency-Key, inline;
 *                          answers { holding: key } once its step holds (A owns the lease);
 *   { go: key }          → lets the step finish; the run completes here and A answers
 *                          { committed: runId, started, at } with the monotonic times
 *                          (process.hrtime, one clock for every process of the machine)
 *                          right before A hands the store the run's final checkpoint and
 *                          right after that call returned (the commit lies in between).
 * Usage: node handoff-instance.mjs <store URL>   (fork()ed: needs an IPC channel)
 */
import { openStore } from "@durable-endpoints/runtime";
import { loadEndpoints } from "../lib/fixtures.mjs";

const [storeUrl] = process.argv.slice(2);
const store = await openStore(storeUrl, "bench");
const released = new Map();
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Reports the commit of each run's final checkpoint. */
const reporting = new Proxy(store, {
  get(target, key) {
    if (key === "checkpoint") {
      return async (cp) => {
        const started = monotonicMs();
        const ok = await target.checkpoint(cp);
        if (ok && cp.run.status === "completed") process.send({ committed: cp.runId, started, at: monotonicMs() });
        return ok;
      };
    }
    const value = Reflect.get(target, key, target);
    return typeof value === "function" ? value.bind(target) : value;
  },
});

const { createEndpoints } = await loadEndpoints("compiled");
const quiet = { info() {}, warn() {}, error: console.error };
const { handoff, inngest } = createEndpoints(reporting, { logger: quiet }, {
  hold: (key) =>
    new Promise((resolve) => {
      released.set(key, resolve);
      process.send({ holding: key });
    }),
});

process.on("message", (message) => {
  if (message.start !== undefined) {
    const req = new Request(new URL(message.path, "http://bench.local"), { headers: { "Idempotency-Key": message.start } });
    handoff(req).then(
      async (res) => {
        if (res.status !== 200) console.error(`handoff ${message.start}: ${res.status} ${await res.text()}`);
      },
      (error) => console.error(error),
    );
  } else if (message.go !== undefined) {
    released.get(message.go)?.();
    released.delete(message.go);
  } else if (message.stop) {
    inngest.close().then(() => store.close()).then(() => process.exit(0));
  }
});
process.send({ ready: true });
