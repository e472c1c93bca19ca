// The invariants every run of the fault suite must keep, judged from what scenario.mjs observed: the
// final Response, the run's ledger (step bodies, statement marks, waits beginning, checkpoints with
// their outcome, all with wall-clock times of one machine) and the store at the end. The runtime's own
// times in the ledger (a wait's `since`, a sleep's or wait's `wakeAt`) are by the clock of the process that
// wrote them: skewed by `observed.clocks[pid]` in a skewed-clock run, so judged against the machine's
// clock with the skew between instances as allowance.

/** The await each step belongs to, in program order (fault-endpoint.mjs); a finished run is past all of them. */
const AWAIT_OF = { seed: 1, nap: 2, a: 3, b: 3, flaky: 4, notify: 5, approval: 5, total: 6 };
const FINISHED = 7;
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
  problems.push(...eventDelivery(body.approval, log, observed));
  problems.push(...timersEndedEarly(body.approval, log, observed));
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
function timersEndedEarly(approval, log, observed) {
  const allowance = skewBetweenInstances(observed);
  const problems = [];
  const timers = [["nap", 2], ...(approval === null ? [["approval", 5]] : [])];
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
 * Every event sent after the wait began is delivered; one sent before it began is not. "Began" is the
 * runtime's own `since` of each registration of the wait (from its checkpoint), on the same clock as the
 * send's times: an event's `ts` lies between the send's start and end. A wait evaluated by an execution
 * that died before registering it began again when re-evaluated; sends between two beginnings are not judged.
 * Skewed clocks: an event's `ts` is the sending instance's, `since` the waiting one's; a send within the
 * skew of a beginning is not judged either.
 */
function eventDelivery(approval, log, observed) {
  const eventId = `evt-${observed.key}`;
  const send = observed.sends[0];
  if (!send) return approval === null ? [] : [`delivered ${approval}, but no event was sent`];
  if (send.s1 === null) return [`the event could not be sent before the deadline (${send.attempts} attempts)`];
  const registered = log
    .filter((e) => e.kind === "checkpoint" && e.step === "approval" && e.status === "waiting" && e.outcome !== "refused")
    .map((e) => machineTime(observed, e.pid, e.since));
  if (registered.length === 0) return [];
  const skew = skewBetweenInstances(observed);
  const [first, last] = [Math.min(...registered) - skew, Math.max(...registered) + skew];
  // the wait times out at its end time, less the skew at worst
  const timeout = observed.plan.waitTimeoutMs - 2 * skew;
  if (send.s1 < first && approval !== null) return [`an event sent ${first - send.s1} ms before the wait began (less the clock skew, ${skew} ms) was delivered`];
  if (send.s0 >= last && send.s1 < last + timeout - TIMEOUT_SLACK_MS && approval !== eventId) {
    return [`an event sent ${send.s0 - last} ms after the wait began (plus the clock skew, ${skew} ms) was not delivered (got ${approval})`];
  }
  return [];
}
