// The app side of the fault suite: what the fault endpoint records in its run's ledger (a JSON-lines
// file named by FAULT_LEDGER, one per run, shared by the processes that take turns on it). Every line
// carries the pid and the machine's clock (one machine) — the runtime's own clock too, unless the
// process runs skewed (skewed-clock.mjs): then the runtime's times in a line (`since`, `wakeAt`) are its own.
import { appendFileSync, readFileSync } from "node:fs";
import { appStore, probe } from "../support/app-child.mjs";

const LEDGER = process.env.FAULT_LEDGER;
/** The machine's clock, also in a process whose runtime clock is skewed (skewed-clock.mjs). */
const now = globalThis[Symbol.for("durable-faults.trueNow")] ?? (() => Date.now());

export function record(kind, fields = {}) {
  appendFileSync(LEDGER, `${JSON.stringify({ t: now(), pid: process.pid, kind, ...fields })}\n`);
}

const ledgerHas = (kind) => readFileSync(LEDGER, "utf8").includes(`"kind":"${kind}"`);

/** A named point of the endpoint: the crash plan may kill the process here, the write-lock plan pause it. */
function point(label) {
  probe(label);
  awaitWriteLock(label);
}

const LOCK_AT = process.env.FAULT_LOCK_AT;
let lockAsked = false;
const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * The write-lock fault (FAULT_LOCK_AT = a point's label): the first time the run reaches that point,
 * it asks the driver for the lock ("lock-wanted") and stands still until another connection holds
 * SQLite's write lock ("lock-held") — every point is followed by a write the run needs (a step's
 * checkpoint, the run's completion), so that write surely meets the held lock.
 */
function awaitWriteLock(label) {
  if (label !== LOCK_AT || lockAsked) return;
  lockAsked = true;
  record("lock-wanted", { at: label });
  const giveUpAt = now() + 10_000;
  while (!ledgerHas("lock-held") && now() < giveUpAt) Atomics.wait(pauseCell, 0, 0, 5);
}

/** Statement marks between the handler's awaits: "m<j>" sits after await j (seed = 1, nap = 2, …). */
export function mark(j) {
  record("mark", { j });
  point(`m${j}`);
}

let bodies = 0;

/** A step body: logged when it starts (a crash plan may kill the process right there), its value tagged with who ran it. */
export async function body(step, compute) {
  const by = `${process.pid}.${++bodies}`;
  record("body", { step, by });
  point(`body:${step}`);
  return { v: await compute(), by };
}

/** Committed failures of a step so far (its "retrying" checkpoints in the ledger): a flaky service's memory. */
export function failuresCommitted(step) {
  return readFileSync(LEDGER, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((e) => e.kind === "checkpoint" && e.outcome === "ok" && e.step === step && e.status === "retrying").length;
}

/**
 * The store, with every checkpoint logged around the call: when it was sent, what it carried and how
 * it ended (ok / refused (stale fence) / error: the outcome is unknown to the writer); any other call
 * that fails is logged too ("store-error"). The crash plan of app-child.mjs (after committed checkpoint N) applies.
 */
export async function faultStore() {
  const store = await appStore(({ checkpoint: cp, ok }) => record("checkpoint", { ...describe(cp), outcome: ok ? "ok" : "refused" }));
  const logged = (target, name, method) => async (...args) => {
    try {
      return await method.apply(target, args);
    } catch (error) {
      record("store-error", { method: name, error: String(error?.message ?? error).slice(0, 200) });
      throw error;
    }
  };
  return new Proxy(store, {
    get(target, name) {
      const value = target[name];
      if (name !== "checkpoint") return typeof value === "function" ? (name === "onDue" ? value.bind(target) : logged(target, name, value)) : value;
      return async (cp) => {
        record("checkpoint-sent", describe(cp));
        try {
          return await target.checkpoint(cp);
        } catch (error) {
          record("checkpoint", { ...describe(cp), outcome: "error", error: String(error?.message ?? error).slice(0, 200) });
          throw error;
        }
      };
    },
  });
}

function describe(cp) {
  const by = cp.step?.output ? /"(\d+\.\d+)"/.exec(cp.step.output)?.[1] : undefined;
  // a wait's `since`: when the runtime says it began (events with ts >= since count)
  const since = cp.wait?.since;
  // a sleep's end or a wait's timeout, by the writer's clock
  const wakeAt = cp.step?.status === "waiting" ? cp.step.wakeAt : undefined;
  return { step: cp.step?.id ?? null, status: cp.step?.status ?? null, state: cp.run?.state ?? null, run: cp.run?.status ?? null, fence: cp.fence, by, since, wakeAt };
}
