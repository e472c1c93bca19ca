// The invariants every run of the fault suite must keep, judged from what scenario.mjs observed: the
// final Response, the run's ledger (step bodies, statement marks, waits beginning, checkpoints with
// their outcome, all with wall-clock times of one machine) and the store at the end. The runtime's own
// times in the ledger (a wait's `since`, a sleep's or wait's `wakeAt`) are by the clock of the process that
// wrote them: skewed by `observed.clocks[pid]` in a skewed-clock run, so judged against the machine's
// clock with the skew between instances as allowance.

/** The await each step belongs to, in program order (fault-endpoint.mjs); a finished run is past all of them. */
const AWAIT_OF = { seed: 1, nap: 2, a: 3, b: 3, flaky: 4, notify: 5, approval: 5, twin: 5, second: 6, total: 7 };
const FINISHED = 8;
/** The waits for the run's event, and the waits begun before each (in program order): what those received, the run had received when it began. */
const EARLIER = { approval: [], twin: [], second: ["approval", "twin"] };
/** An event sent this close to the wait's timeout may or may not make it: not judged. */
const TIMEOUT_SLACK_MS = 800;

/** @returns {string[]} the broken invariants, each with its evidence */
export function check(observed) {
  const problems = [];
  const { response, log } = observed;
  if (!response) return [`no final Response before the deadline: ${observed.error ?? "?"}`];
  if (response.status !== 200) return [`final Response ${response.status} (a fault became the run's result): ${response.body.slice(0, 300)}`];
  const body = JSON.parse(response.body);
  const seed = observed.key.length * 100;
  if (body.id !== observed.key || body.total !== 2 * seed + 11) problems.push(`wrong Response: ${response.body}`);
  if (observed.replay?.status !== response.status || observed.replay?.body !== response.body) {
    problems.push(`asking again gave another answer: ${observed.replay?.status} ${observed.replay?.body?.slice(0, 200)}`);
  }
  if (JSON.stringify(observed.stored) !== JSON.stringify([{ status: "completed" }])) problems.push(`stored run: ${JSON.stringify(observed.stored)}`);
  problems.push(...committedStepsRanAgain(body.by, log, observed));
  if (observed.plan.compiled) problems.push(...codeBeforeResumePointRanAgain(log));
  problems.push(...eventDelivery(body, log, observed));
  problems.push(...timersEndedEarly(body, log, observed));
  return problems;
}

/** A runtime time written by process `pid`, on the machine's clock. */
const machineTime = (observed, pid, t) => t - (observed.clocks[pid] ?? 0);

/** How far apart the instances' clocks are: what one instance's time may be off from another's. */
const skewBetweenInstances = (observed) => {
  const clocks = [0, ...Object.values(observed.clocks)];
  return Math.max(...clocks) - Math.min(...clocks);
};

/**
 * A sleep, or a wait that timed out, ends no earlier than its end time less the skew between instances:
 * the writer's clock set `wakeAt`, another instance's clock decides it has come. No code after the
 * await (its mark) runs before.
 */
function timersEndedEarly(body, log, observed) {
  const allowance = skewBetweenInstances(observed);
  const problems = [];
  const timers = [["nap", 2], ...Object.keys(EARLIER).filter((wait) => body[wait] === null).map((wait) => [wait, AWAIT_OF[wait]])];
  for (const [step, j] of timers) {
    const ends = log
      .filter((e) => e.kind === "checkpoint" && e.step === step && e.status === "waiting" && e.outcome === "ok" && e.wakeAt != null)
      .map((e) => machineTime(observed, e.pid, e.wakeAt));
    if (ends.length === 0) continue;
    const earliest = Math.min(...ends) - allowance;
    const early = log.find((e) => e.kind === "mark" && e.j === j && e.t < earliest);
    if (early) problems.push(`"${step}" ended ${earliest - early.t} ms before its end time less the clock skew (${allowance} ms): m${j} ran at ${early.t} (pid ${early.pid})`);
  }
  return problems;
}

/** A step whose outcome was committed never runs again (its body starts after the commit was answered). */
function committedStepsRanAgain(by, log, observed) {
  const problems = [];
  for (const [step, nonce] of Object.entries(by)) {
    const bodies = log.filter((e) => e.kind === "body" && e.step === step);
    if (!bodies.some((e) => e.by === nonce)) {
      problems.push(`the Response's "${step}" (${nonce}) comes from no body that ran`);
      continue;
    }
    const committedBy = commitAnswered(log, step, nonce, observed);
    for (const other of bodies) {
      if (other.by !== nonce && other.t > committedBy) {
        problems.push(`step "${step}" ran again (${other.by}, pid ${other.pid}) ${Math.round(other.t - committedBy)} ms after its outcome (${nonce}) was committed`);
      }
    }
  }
  return problems;
}

/**
 * The latest moment the commit of `nonce` (step `step`) had surely happened: its checkpoint's answer
 * (ok; or an error — the commit happened, the writer did not hear of it), or, when the writer died
 * waiting, its death plus a lease (a statement sent just before may still commit on the server).
 */
function commitAnswered(log, step, nonce, observed) {
  const ends = log.filter((e) => e.kind === "checkpoint" && e.step === step && e.status === "completed" && e.by === nonce);
  const ok = ends.filter((e) => e.outcome === "ok").map((e) => e.t);
  if (ok.length > 0) return Math.min(...ok);
  const errors = ends.filter((e) => e.outcome === "error").map((e) => e.t);
  if (errors.length > 0) return Math.max(...errors);
  const sent = log.find((e) => e.kind === "checkpoint-sent" && e.step === step && e.by === nonce);
  const exit = sent && observed.exits.find((x) => x.pid === sent.pid);
  return exit ? exit.t + 500 : Infinity;
}

/** Compiled mode: a statement before the committed resume point never runs again. */
function codeBeforeResumePointRanAgain(log) {
  const problems = [];
  let resumePoint = 0;
  let committedAt = 0;
  for (const entry of log) {
    if (entry.kind === "checkpoint" && entry.outcome === "ok") {
      const reached = entry.step === null ? (entry.run === "completed" || entry.run === "failed" ? FINISHED : 0) : AWAIT_OF[entry.step];
      if (reached > resumePoint) [resumePoint, committedAt] = [reached, entry.t];
    }
    if (entry.kind === "mark" && entry.j < resumePoint) {
      problems.push(`compiled: statement m${entry.j} ran again (pid ${entry.pid}) after resume point ${resumePoint} was committed ${Math.round(entry.t - committedAt)} ms earlier`);
    }
  }
  return problems;
}

/**
 * Exact event delivery, for each of the run's three waits for the same event (approval and twin: siblings
 * of one Promise.all; second: begun after both were resolved), judged from the events as the store holds
 * them (id, `ts`), each wait's beginnings (the runtime's own `since` in every registration the execution
 * sent and the store did not refuse: a wait evaluated by an execution that died before saving it began
 * again when re-evaluated) and the sends (first attempt, first success: the event was stored by then):
 * - every send was taken; every id sent is stored once, with a `ts` from one of its sends (the sender's clock,
 *   or the explicit `ts` it carried: ahead or behind); nothing else is;
 * - a wait's event is the stored copy (a re-send of its id delivers that one) of an event sent at or after
 *   its beginning (`ts` ≥ since), never one the run had received before it began (second: what approval or
 *   twin got — siblings may share one);
 * - a wait that timed out: no event the run had not received was sent after it began and stored well
 *   before its timeout.
 * Sends between two beginnings of a wait are not judged. Skewed clocks: an event's `ts` (the sender's clock)
 * meets a `since` (the waiter's): one within the skew of a beginning is not judged either.
 * `observed.judged` counts the (wait, event) pairs judged either way.
 */
function eventDelivery(body, log, observed) {
  const problems = [];
  const skew = skewBetweenInstances(observed);
  const judged = (observed.judged = { delivered: 0, mustDeliver: 0, mustNot: 0, sharedBySiblings: 0, received: 0 });
  const stored = new Map((observed.stored?.events ?? []).map((e) => [e.id, e.ts]));
  const sendsOf = new Map();
  for (const send of observed.sends) sendsOf.set(send.id, [...(sendsOf.get(send.id) ?? []), send]);
  for (const send of observed.sends) if (send.s1 === null) problems.push(`event ${send.id} (${send.at}) could not be sent before the deadline (${send.attempts} attempts)`);
  /** the machine's time by which the event was surely stored (and delivered to every wait saved by then) */
  const storedBy = new Map();
  for (const [id, sends] of sendsOf) {
    const ts = stored.get(id);
    const taken = sends.filter((s) => s.s1 !== null).map((s) => s.s1);
    storedBy.set(id, taken.length > 0 ? Math.min(...taken) : Infinity);
    if (ts === undefined) {
      if (taken.length > 0) problems.push(`event ${id} was taken (${taken.length} of ${sends.length} sends) but is not in the store`);
      continue;
    }
    // an explicit ts: the driver's clock at an attempt plus the offset (the same for every send of an id)
    const offset = sends[0].tsOffsetMs ?? 0;
    const [from, to] = [Math.min(...sends.map((s) => s.s0)) + offset - (offset ? 0 : skew), storedBy.get(id) + offset + (offset ? 0 : skew)];
    if (ts < from || ts > to) problems.push(`event ${id} is stored with ts ${ts}, outside its sends (${from}–${to})`);
  }
  for (const id of stored.keys()) if (!sendsOf.has(id)) problems.push(`the store holds event ${id}, never sent`);
  const registrations = (wait) => {
    const refused = log.filter((e) => e.kind === "checkpoint" && e.step === wait && e.status === "waiting" && e.outcome === "refused");
    return log.filter(
      (e) => e.kind === "checkpoint-sent" && e.step === wait && e.status === "waiting" && e.since != null && !refused.some((r) => r.pid === e.pid && r.since === e.since),
    );
  };
  for (const wait of Object.keys(EARLIER)) {
    const got = body[wait];
    const began = registrations(wait);
    const since = began.map((e) => e.since);
    const [first, last] = [Math.min(...since), Math.max(...since)];
    /** what the run had received when this wait began: never its event */
    const prior = new Map(EARLIER[wait].filter((w) => body[w]).map((w) => [body[w].id, w]));
    if (got) {
      judged.delivered++;
      if (wait === "twin" && body.approval?.id === got.id) judged.sharedBySiblings++;
      if (!stored.has(got.id)) problems.push(`"${wait}" got ${got.id}, an event not in the store`);
      else if (stored.get(got.id) !== got.ts) problems.push(`"${wait}" got ${got.id} with ts ${got.ts}, not the stored copy (ts ${stored.get(got.id)})`);
      if (prior.has(got.id)) problems.push(`"${wait}" got ${got.id}, which the run had received (by "${prior.get(got.id)}") before it began (${got.ts - first} ms from the event's ts to its since)`);
      if (began.length === 0) problems.push(`"${wait}" got ${got.id}, but no registration of it was sent`);
      else if (got.ts < first - skew) problems.push(`"${wait}" got ${got.id}, sent ${first - got.ts} ms before it began (less the clock skew, ${skew} ms)`);
    }
    for (const [id, ts] of stored) {
      if (prior.has(id)) {
        judged.received++;
        judged.mustNot++;
      } else if (began.length > 0 && ts < first - skew) judged.mustNot++;
    }
    if (got || began.length === 0) {
      if (got && began.length > 0 && !prior.has(got.id) && got.ts >= last + skew) judged.mustDeliver++;
      continue;
    }
    // timed out: every event sent after it began, stored well before its timeout, and not received before, was due to it
    const timeoutAt = Math.min(...began.map((e) => machineTime(observed, e.pid, e.wakeAt))) - skew;
    for (const [id, ts] of stored) {
      if (prior.has(id) || ts < last + skew || storedBy.get(id) >= timeoutAt - TIMEOUT_SLACK_MS) continue;
      judged.mustDeliver++;
      problems.push(`"${wait}" timed out, but ${id} was sent ${ts - last} ms after it began (plus the clock skew, ${skew} ms) and stored ${Math.round(timeoutAt - storedBy.get(id))} ms before its timeout`);
    }
  }
  return problems;
}
