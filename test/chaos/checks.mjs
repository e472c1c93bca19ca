// What the chaos run must prove, computed from the driver's results and the ledger (ledger.mjs).
import { isDeepStrictEqual } from "node:util";
import { EFFECT_STEPS, expectedBody } from "./expected.mjs";

/** Every run ended with exactly the expected Response. */
export function checkResponses(results) {
  const wrong = [];
  for (const r of results) {
    if (r.error) wrong.push({ key: r.key, problem: r.error, last: r.last });
    else if (!sameResponse(r.final, r.key)) wrong.push({ key: r.key, problem: "unexpected final Response", got: r.final });
  }
  return wrong;
}

export function sameResponse(response, key) {
  if (!response || response.status !== 201 || response.runHeader !== key) return false;
  try {
    return isDeepStrictEqual(JSON.parse(response.body), expectedBody(key));
  } catch {
    return false;
  }
}

/**
 * Step-body executions from the ledger: each "start" with the "end" that followed it in the same
 * process. A body cut by SIGKILL ends at the kill; one never ended and never killed stays open.
 */
export function executions(ledger, kills) {
  const killedAt = new Map(kills.map((k) => [k.pid, k.at]));
  const open = new Map();
  const done = [];
  for (const row of ledger) {
    if (row.phase === "fail") continue;
    const slot = `${row.run}\u0000${row.step}\u0000${row.pid}`;
    if (row.phase === "start") open.set(slot, { run: row.run, step: row.step, pid: row.pid, start: row.at, end: null });
    else {
      const execution = open.get(slot);
      open.delete(slot);
      if (execution) done.push({ ...execution, end: row.at });
    }
  }
  for (const execution of open.values()) done.push({ ...execution, cutAt: killedAt.get(execution.pid) ?? Infinity });
  return done;
}

/**
 * The store's fencing, checked on the log of every checkpoint attempt (pid, fence, accepted?):
 * - each completed step was committed as completed exactly once, however many processes ran it;
 * - one fence (one lease acquisition) never has accepted writes from two processes.
 */
export function checkFencing(checkpoints) {
  const completed = new Map();
  const writers = new Map();
  let refused = 0;
  for (const cp of checkpoints) {
    if (!cp.ok) {
      refused++;
      continue;
    }
    if (cp.status === "completed") count(completed, `${cp.run_id}\u0000${cp.step}`);
    const key = `${cp.run_id}\u0000${cp.fence}`;
    if (!writers.has(key)) writers.set(key, new Set());
    writers.get(key).add(cp.pid);
  }
  return {
    accepted: checkpoints.length - refused,
    refused,
    stepsCommittedTwice: [...completed].filter(([, n]) => n > 1).map(([key]) => key.replace("\u0000", " ")),
    fencesSharedByTwoProcesses: [...writers].filter(([, pids]) => pids.size > 1).map(([key, pids]) => ({ fence: key.replace("\u0000", " "), pids: [...pids] })),
  };
}

/**
 * Each completed step's body ran once; every extra execution is explained: its process was SIGKILLed
 * before committing, or it lost its lease and the store refused its write (fenced out), or the
 * Postgres outage cut its checkpoint.
 */
export function checkEffects(runKeys, execs, { kills, checkpoints, runIds, outage }) {
  const killedAt = new Map(kills.map((k) => [k.pid, k.at]));
  const refusedAt = groupBy(checkpoints.filter((cp) => !cp.ok), (cp) => `${cp.run_id}\u0000${cp.pid}`);
  const byStep = groupBy(execs, (e) => `${e.run}\u0000${e.step}`);
  const counts = { completedSteps: 0, exactlyOnce: 0, rerunAfterKill: 0, rerunAfterFencedOut: 0, rerunAfterOutage: 0, cutByKill: 0, missing: [], unexplained: [] };
  for (const run of runKeys) {
    for (const step of EFFECT_STEPS) {
      const all = (byStep.get(`${run}\u0000${step}`) ?? []).sort((a, b) => a.start - b.start);
      const ended = all.filter((e) => e.end !== null);
      counts.cutByKill += all.length - ended.length;
      if (ended.length === 0) {
        counts.missing.push({ run, step });
        continue;
      }
      counts.completedSteps++;
      if (ended.length === 1) counts.exactlyOnce++;
      for (const wasted of ended.slice(0, -1)) {
        const killed = killedAt.get(wasted.pid);
        const refused = (refusedAt.get(`${runIds.get(run)}\u0000${wasted.pid}`) ?? []).some((cp) => cp.at >= wasted.start);
        if (killed !== undefined && killed >= wasted.end) counts.rerunAfterKill++;
        else if (refused) counts.rerunAfterFencedOut++;
        else if (outage && touches(wasted, outage)) counts.rerunAfterOutage++;
        else counts.unexplained.push({ run, step, executions: ended });
      }
    }
  }
  return counts;
}

/**
 * Step bodies of one run that overlapped in time in two processes. Leases alone cannot prevent this
 * (a process stalled past its lease keeps running its body); fencing makes it harmless — see
 * `checkFencing`. Reported, with how the earlier process ended.
 */
export function overlaps(execs, { kills, checkpoints, runIds, outage }) {
  const killed = new Set(kills.map((k) => k.pid));
  const runKeyOf = new Map([...runIds].map(([key, id]) => [id, key]));
  const refused = new Set(checkpoints.filter((cp) => !cp.ok).map((cp) => `${runKeyOf.get(cp.run_id)}\u0000${cp.pid}`));
  const found = { total: 0, earlierFencedOut: 0, earlierKilled: 0, duringOutage: 0, other: [] };
  for (const list of groupBy(execs, (e) => e.run).values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length && list[j].start < until(list[i]); j++) {
        const [a, b] = [list[i], list[j]];
        if (a.pid === b.pid) continue;
        found.total++;
        if (refused.has(`${a.run}\u0000${a.pid}`)) found.earlierFencedOut++;
        else if (killed.has(a.pid)) found.earlierKilled++;
        else if (outage && touches(a, outage)) found.duringOutage++;
        else found.other.push([a, b]);
      }
    }
  }
  return found;
}

const until = (e) => e.end ?? e.cutAt;

function touches(execution, window) {
  return execution.start <= window.to && until(execution) >= window.from;
}

function count(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return groups;
}
