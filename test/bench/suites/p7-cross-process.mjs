/**
 * P7 cross-process wake-up: a run finishes in process A while a long-poll of
 * its URL waits in process B (another client over the same store). How long
 * from A's final commit to B's answer? SQLite (one file, two processes) and
 * Postgres (LISTEN/NOTIFY).
 *
 * Each round: A (servers/handoff-instance.mjs) starts `handoff` with a fresh
 * Idempotency-Key and holds its step; B (this process) sends the same request,
 * gets 303 (A holds the run) and polls; once B's poll waits (plus a random
 * 0–50 ms), A lets the step go and reports when it handed the store the run's final checkpoint and when that
 * call returned. All times come from the machine's monotonic clock
 * (process.hrtime), shared by every process.
 *
 * The headline figure runs from the start of A's final checkpoint to B's
 * answer: the commit happens somewhere inside that call, so this is an upper
 * bound that includes the commit itself. Timed from the call's return instead
 * (`after_commit_returned`), B often answers first — A's own wake-up after its
 * commit waits for a core like B's does — so that figure can be negative.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openStore as openStoreAt } from "@durable-endpoints/runtime";
import { compare, metric } from "../lib/harness.mjs";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { benchPostgres } from "../lib/postgres.mjs";
import { printTable } from "../lib/report.mjs";
import { client } from "../contenders/ours.mjs";

const instanceScript = fileURLToPath(new URL("../servers/handoff-instance.mjs", import.meta.url));
const ORIGIN = "http://bench.local";
const PATH = "/handoff";
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
/** A lets the step go 0–50 ms after B's poll began waiting: two periods of the SQLite store's change check. */
const JITTER_MS = 50;

/** Process A: a child with an IPC channel; `next(predicate)` resolves with its next matching message. */
async function startInstance(storeUrl) {
  const child = fork(instanceScript, [storeUrl], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Set();
  child.on("message", (message) => {
    for (const waiter of waiting) if (waiter.match(message)) (waiting.delete(waiter), waiter.resolve(message));
  });
  const next = (match) => new Promise((resolve) => waiting.add({ match, resolve }));
  await next((m) => m.ready);
  return {
    next,
    send: (message) => child.send(message),
    async stop() {
      child.send({ stop: true });
      await once(child, "exit");
    },
  };
}

/** B's store, telling when a long-poll starts waiting on it. */
function signallingStore(store) {
  let onWait = () => {};
  const view = new Proxy(store, {
    get(target, key) {
      if (key === "close") return async () => {};
      if (key === "waitForChange") {
        return (runId, signal) => {
          const waiting = target.waitForChange(runId, signal);
          onWait();
          return waiting;
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { view, waited: () => new Promise((resolve) => (onWait = resolve)) };
}

function handoffRound(instance, endpoints, waited, label) {
  let round = 0;
  return async () => {
    const key = `${label}-${process.pid}-${++round}-${Math.random().toString(36).slice(2)}`;
    const request = () => new Request(new URL(PATH, ORIGIN), { headers: { "Idempotency-Key": key } });
    instance.send({ start: key, path: PATH });
    await instance.next((m) => m.holding === key);
    const attached = await endpoints.handoff(request());
    if (attached.status !== 303) throw new Error(`P7 ${label}: expected 303 while A holds the run, got ${attached.status} ${await attached.text()}`);
    const runId = attached.headers.get("x-durable-run-id");
    const pollUrl = new URL(attached.headers.get("location"), new URL(PATH, ORIGIN));
    const committed = instance.next((m) => m.committed === runId);
    const polling = waited();
    let answeredAt = 0;
    const answer = endpoints.handoff(new Request(pollUrl)).then((res) => ((answeredAt = monotonicMs()), res));
    await polling;
    // at a random moment: a commit is not in step with when a poll began waiting (nor with SQLite's 25 ms change check)
    await new Promise((resolve) => setTimeout(resolve, Math.random() * JITTER_MS));
    instance.send({ go: key });
    const [res, { started, at }] = await Promise.all([answer, committed]);
    const body = await res.json();
    if (res.status !== 200 || body.key !== key) throw new Error(`P7 ${label}: poll answered ${res.status} ${JSON.stringify(body)}`);
    return { from_final_checkpoint: answeredAt - started, after_commit_returned: answeredAt - at };
  };
}

async function setUp(storeUrl, label, stack) {
  const instance = await startInstance(storeUrl);
  stack.push(() => instance.stop());
  const store = await openStoreAt(storeUrl, "bench");
  stack.push(() => store.close());
  const { view, waited } = signallingStore(store);
  const endpoints = client(await loadEndpoints("compiled"), view);
  stack.push(() => endpoints.inngest.close());
  return handoffRound(instance, endpoints, waited, label);
}

export async function run({ mode, tmp }) {
  const rounds = mode === "quick" ? 11 : mode === "full" ? 201 : 101;
  const postgres = await benchPostgres("p7");
  const stack = [];
  try {
    const results = await compare(
      {
        sqlite: await setUp(`sqlite://${join(tmp, "p7.db")}`, "sqlite", stack),
        postgres: await setUp(postgres.url("handoff"), "postgres", stack),
      },
      { rounds, warmup: 2 },
    );
    const stores = Object.keys(results);
    printTable(
      `P7 run finishes in process A → long-poll in process B answers (ms, ${rounds} rounds)`,
      ["store", "median", "p99", "min", "max", "median after A's commit returned"],
      stores.map((name) => {
        const { from_final_checkpoint: s, after_commit_returned: after } = results[name];
        return [name, s.median, s.p99, s.min, s.max, after.median];
      }),
    );
    const how = { sqlite: "one file, two processes", postgres: "LISTEN/NOTIFY" };
    return stores.flatMap((name) => {
      const { from_final_checkpoint: figure, after_commit_returned } = results[name];
      const note = (q) => `A hands the store the run's final checkpoint → B's long-poll answered, ${q} of ${rounds} (${how[name]})`;
      return [
        metric(`P7.cross_process_ms_${name}`, figure.median, "ms", { [name]: figure, after_commit_returned }, note("p50")),
        metric(`P7.cross_process_p99_ms_${name}`, figure.p99, "ms", { [name]: figure }, note("p99")),
      ];
    });
  } finally {
    for (const undo of stack.reverse()) await undo().catch((error) => console.error(error));
    await postgres.close();
  }
}
