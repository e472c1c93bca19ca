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

/**
 * The moments an event is sent at, relative to the run (the driver watches the run's ledger): before its
 * request; a random delay after it started (anywhere among its checkpoints, kills and cut connections);
 * while the first two waits (approval, twin: siblings of one Promise.all) are in flight (begun, not saved);
 * after one of them was saved; the moment the handler got past them (mark 5, as the third wait begins:
 * the race of one millisecond); while the third wait (second) is in flight; after it was saved; after the
 * run's final Response.
 */
export const EVENT_MOMENTS = ["before-run", "at-random", "first-in-flight", "first-saved", "first-received", "second-in-flight", "second-saved", "after-run"];

/**
 * The sends of one run: none (one run in 10), or 1–2 events (distinct ids) each sent once at a random
 * moment, and 0–2 re-sends of one of those ids at another random moment (before, during or after its
 * first send: a client retrying). An event may carry an explicit `ts` (the sender's clock plus
 * `tsOffsetMs`): ahead (4 in 10: as from a clock ahead — a wait that began before that `ts` counts it, and
 * the run must still never take it twice) or behind (1 in 10: it counts for no wait begun after that
 * `ts`). Each send goes through the run's own instances or, in 4 runs of 10,
 * some through a separate sender process sharing the store (`via`).
 */
function eventSends(rng) {
  if (rng.chance(0.1)) return [];
  const sender = rng.chance(0.4);
  const events = rng.between(1, 2);
  const offsets = Array.from({ length: events }, () => rng.weighted([[5, 0], [4, rng.between(200, 3000)], [1, -rng.between(200, 3000)]]));
  const send = (event) => {
    const at = rng.pick(EVENT_MOMENTS);
    // in flight: within the few ms before the wait is saved; at random: anywhere in the run's first seconds
    const delayMs = at === "at-random" ? rng.between(0, 5000) : at === "first-received" ? 0 : rng.weighted([[2, 0], [1, rng.between(1, 40)], [1, rng.between(40, 400)]]);
    return { event, at, delayMs, via: sender && rng.chance(0.6) ? "sender" : "instance", tsOffsetMs: offsets[event] };
  };
  const sends = Array.from({ length: events }, (_, event) => send(event));
  for (let i = rng.between(0, 2); i > 0; i--) sends.push(send(rng.int(events)));
  return sends;
}

/** Points of the endpoint (fault-endpoint.mjs): each is followed by a write the run needs. */
const POINTS = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "body:seed", "body:a", "body:b", "body:flaky", "body:notify", "body:total"];
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
  // a run commits 13 checkpoints (seed, nap, a, b, flaky's failure and success, notify, the waits approval, twin
  // and second, total, the end)
  if (kind === "kill-at-checkpoint") fault.afterCheckpoint = rng.between(1, 13);
  if (kind === "kill-between-checkpoints") fault.atProbe = rng.pick(KILL_PROBES);
  if (kind.startsWith("cut-") || kind === "stall-past-lease") fault.statement = rng.between(0, kind === "cut-mid-transaction" ? 3 : 40);
  // of a run's checkpoints, about 8 are one statement outside a transaction (a wait's is in one)
  if (kind === "orphan-statement") fault.statement = rng.between(0, 6);
  if (kind === "outage") (fault.afterMs = rng.between(0, 1500)), (fault.forMs = rng.between(1000, 2000));
  if (kind === "write-lock-held") fault.lockAt = rng.pick([...POINTS, "m7"]);
  if (kind === "skewed-clock") {
    // by 1.2–2 leases; either the first instance is behind or the second ahead of the machine's clock
    const skew = rng.between(600, 1000);
    fault.skewMs = rng.next() < 0.5 ? -skew : skew;
  }
  // a skewed clock moves a wait's timeout by up to the skew: a longer wait leaves events to judge
  const waitTimeoutMs = kind === "skewed-clock" ? 5000 : 2000;
  return { index, store, compiled: compiled && rng.next() < 0.5, fault, sends: eventSends(rng), waitTimeoutMs };
}
