// What the chaos run must prove, computed from the driver's results and the ledger.
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
 * Step executions from the ledger: each "start" with the "end" that followed it in the same process.
 * A body cut by SIGKILL ends at the kill; one never ended and never killed stays open (Infinity).
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
 * Each completed step's body ran once; every extra run is explained by a SIGKILL of the process that
 * ran it before (its result was not committed yet) or by the Postgres outage (its checkpoint failed,
 * or its lease ran out while the store was unreachable).
 */
export function checkEffects(runKeys, execs, kills, outage) {
  const killed = new Set(kills.map((k) => k.pid));
  const byStep = groupBy(execs, (e) => `${e.run}\u0000${e.step}`);
  const counts = { completedSteps: 0, exactlyOnce: 0, rerunAfterKill: 0, rerunAfterOutage: 0, cutByKill: 0, missing: [], unexplained: [] };
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
      // Every completed execution but the last was wasted: say why.
      for (const wasted of ended.slice(0, -1)) {
        if (killed.has(wasted.pid)) counts.rerunAfterKill++;
        else if (outage && overlapsWindow(wasted, outage)) counts.rerunAfterOutage++;
        else counts.unexplained.push({ run, step, executions: ended });
      }
    }
  }
  return counts;
}

/** No run executed in two processes at once: step executions of one run from different processes never overlap. */
export function checkExclusive(execs, outage) {
  const result = { overlapsDuringOutage: 0, violations: [] };
  for (const list of groupBy(execs, (e) => e.run).values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length && list[j].start < until(list[i]); j++) {
        if (list[i].pid === list[j].pid) continue;
        if (outage && overlapsWindow(list[i], outage)) result.overlapsDuringOutage++;
        else result.violations.push([list[i], list[j]]);
      }
    }
  }
  return result;
}

const until = (e) => e.end ?? e.cutAt;

function overlapsWindow(execution, window) {
  return execution.start <= window.to && until(execution) >= window.from;
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
