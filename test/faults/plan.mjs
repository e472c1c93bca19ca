// What each run of the fault suite lives through: its store, compiled or plain, one injected fault
// and when its waitForEvent's event is sent. Drawn from a seeded generator, so a failing run can be
// replayed with the same seed (`--seed`).

import { random } from "../support/random.mjs";

/** Fault kinds, with the stores they apply to. */
export const FAULT_KINDS = {
  /** SIGKILL right after the N-th committed checkpoint */
  "kill-at-checkpoint": ["sqlite", "postgres"],
  /** SIGKILL between checkpoints: inside a step body, or at a statement between two awaits */
  "kill-between-checkpoints": ["sqlite", "postgres"],
  /** the connection carrying the k-th statement is cut before the server sees it */
  "cut-before-statement": ["postgres"],
  /** the server runs the k-th statement (and commits it), then the connection is cut before the client hears */
  "cut-after-statement": ["postgres"],
  /** a statement inside a transaction: the connection is cut mid-transaction */
  "cut-mid-transaction": ["postgres"],
  /** the k-th statement's answer is held for 3 leases while a second instance runs: a process paused past its lease */
  "stall-past-lease": ["postgres"],
  /**
   * the k-th checkpoint statement (outside a transaction) is orphaned: its client's connection is cut as it
   * sends it, the server gets it only after two more checkpoints committed (or the run finished) and commits
   * it then — a statement that was still on the network, in a pooler, or queued for a lock
   */
  "orphan-statement": ["postgres"],
  /** the database is unreachable for 1–2 s for every instance */
  "outage": ["postgres"],
  /**
   * two instances whose clocks differ by more than a lease: the first (behind) takes the request, the
   * second (ahead) sees its lease as expired. Postgres only: SQLite's instances share one machine's clock
   */
  "skewed-clock": ["postgres"],
  /** another process holds SQLite's write lock past the busy timeout, taken while the run stands at a point before a write */
  "write-lock-held": ["sqlite"],
};

/** When the event of the run's waitForEvent is sent. */
export const EVENT_TIMINGS = ["before-wait", "while-wait-in-flight", "after-wait-saved", "never"];

/** Points of the endpoint (fault-endpoint.mjs): each is followed by a write the run needs. */
const POINTS = ["m0", "m1", "m2", "m3", "m4", "m5", "body:seed", "body:a", "body:b", "body:flaky", "body:notify", "body:total"];
/** Probe labels a "kill between checkpoints" may pick. */
const KILL_PROBES = [...POINTS, "body:flaky#2"];

/**
 * `runs` plans cycling through the fault kinds, so each kind gets the same share; the store (among
 * those the kind applies to), compiled or not, the crash point or statement and the event timing are
 * drawn at random.
 * @param {{ runs: number, seed: number, stores: string[], compiled: boolean, only?: string[] }} options  only: these kinds
 */
export function makePlans({ runs, seed, stores, compiled, only }) {
  const rng = random(seed);
  const kinds = Object.keys(FAULT_KINDS).filter((kind) => FAULT_KINDS[kind].some((store) => stores.includes(store)) && (!only || only.includes(kind)));
  return Array.from({ length: runs }, (_, index) => {
    const kind = kinds[index % kinds.length];
    return plan(index, kind, rng.pick(FAULT_KINDS[kind].filter((store) => stores.includes(store))), rng, compiled);
  });
}

function plan(index, kind, store, rng, compiled) {
  const fault = { kind };
  // a run commits 10 checkpoints (seed, nap, a, b, flaky's failure and success, notify, approval, total, the end)
  if (kind === "kill-at-checkpoint") fault.afterCheckpoint = rng.between(1, 10);
  if (kind === "kill-between-checkpoints") fault.atProbe = rng.pick(KILL_PROBES);
  if (kind.startsWith("cut-") || kind === "stall-past-lease") fault.statement = rng.between(0, kind === "cut-mid-transaction" ? 3 : 40);
  // of a run's 10 checkpoints, about 8 are one statement outside a transaction
  if (kind === "orphan-statement") fault.statement = rng.between(0, 6);
  if (kind === "outage") (fault.afterMs = rng.between(0, 1500)), (fault.forMs = rng.between(1000, 2000));
  if (kind === "write-lock-held") fault.lockAt = rng.pick([...POINTS, "m6"]);
  if (kind === "skewed-clock") {
    // by 1.2–2 leases; either the first instance is behind or the second ahead of the machine's clock
    const skew = rng.between(600, 1000);
    fault.skewMs = rng.next() < 0.5 ? -skew : skew;
  }
  // a skewed clock moves a wait's timeout by up to the skew: a longer wait leaves events to judge
  const waitTimeoutMs = kind === "skewed-clock" ? 5000 : 2000;
  return { index, store, compiled: compiled && rng.next() < 0.5, fault, event: rng.pick(EVENT_TIMINGS), waitTimeoutMs };
}
