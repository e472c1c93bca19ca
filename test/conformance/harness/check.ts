/**
 * The assertions, as pure functions returning a readable problem report (or
 * undefined when everything holds). Probe labels: "step:<id>" marks a step
 * body, "~…" a probe inside an awaited expression (re-evaluated on resume).
 */
import type { ResponseSnapshot } from "./drive.js";
import type { CheckpointEntry, LogEntry, World } from "./world.js";

const keep = (e: LogEntry) => e.kind === "checkpoint" || !e.label.startsWith("~");

export type Expected =
  | { kind: "response"; response: ResponseSnapshot }
  | { kind: "threw"; name: string; message: string };

/** Headers the runtime adds on purpose. */
const RUNTIME_HEADERS = new Set(["x-durable-run-id"]);

export function compareResponse(expected: Expected, actual: ResponseSnapshot): string | undefined {
  if (expected.kind === "threw") {
    const error = errorBody(actual);
    if (actual.status === 500 && error?.name === expected.name && error.message === expected.message) return undefined;
    return `expected 500 with JSON error ${expected.name}: "${expected.message}" (the handler threw), got ${show(actual)}`;
  }
  const want = expected.response;
  const headers = Object.fromEntries(Object.entries(actual.headers).filter(([k]) => !RUNTIME_HEADERS.has(k)));
  if (want.status === actual.status && want.body === actual.body && same(want.headers, headers)) return undefined;
  return `response differs\n  expected ${show(want)}\n  actual   ${show({ ...actual, headers })}`;
}

function errorBody(r: ResponseSnapshot): { name?: string; message?: string } | undefined {
  try {
    return (JSON.parse(r.body) as { error?: { name?: string; message?: string } }).error;
  } catch {
    return undefined;
  }
}

function same(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

function show(r: ResponseSnapshot): string {
  return `${r.status} ${JSON.stringify(r.headers)} ${r.body.length > 300 ? r.body.slice(0, 300) + "…" : r.body}`;
}

const isStep = (label: string) => label.startsWith("step:");
const isStrict = (label: string) => !label.startsWith("~");
const baseStepId = (id: string) => id.replace(/:\d+$/, "");

function probeLabels(log: LogEntry[], incarnation?: number): string[] {
  return log.flatMap((e) => (e.kind === "probe" && (incarnation === undefined || e.incarnation === incarnation) ? [e.label] : []));
}

function counts(labels: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of labels) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

/** No crash: exactly the oracle's probes, in order (re-evaluated "~" probes at least as often). */
export function checkSameProbes(expected: string[], world: World): string | undefined {
  const want = expected.filter(isStrict);
  const got = probeLabels(world.log).filter(isStrict);
  if (want.join("\n") !== got.join("\n")) return `probe sequence differs\n${sequenceDiff(want, got)}`;
  return checkReevaluated(expected, probeLabels(world.log));
}

function checkReevaluated(expected: string[], got: string[]): string | undefined {
  const want = counts(expected.filter((l) => !isStrict(l)));
  const have = counts(got);
  for (const [label, n] of want) {
    if ((have.get(label) ?? 0) < n) return `probe "${label}" ran ${have.get(label) ?? 0} times, the oracle ran it ${n} times`;
  }
  return undefined;
}

/** Replay mode: every step body exactly as often as in the oracle (non-step code may repeat). */
export function checkStepsExactlyOnce(expected: string[], world: World): string | undefined {
  const want = counts(expected.filter(isStep));
  const have = counts(probeLabels(world.log).filter(isStep));
  const labels = new Set([...want.keys(), ...have.keys()]);
  const wrong = [...labels].filter((l) => want.get(l) !== have.get(l));
  if (!wrong.length) return undefined;
  return `step bodies ran a different number of times:\n${wrong.map((l) => `  ${l}: expected ${want.get(l) ?? 0}, ran ${have.get(l) ?? 0}`).join("\n")}`;
}

/**
 * After a crash in incarnation 1 and a resume in incarnation 2:
 *  - incarnation 1 ran a prefix of the oracle's sequence;
 *  - incarnation 2 re-ran some of incarnation 1's last statements, then ran
 *    exactly the rest of the oracle's sequence — nothing lost, nothing extra,
 *    nothing reordered — except that bodies of steps that had started but
 *    whose outcome was not committed (the step cut short by the crash,
 *    Promise.all members in flight) may run once more, the first time that
 *    step id comes up again;
 *  - the statements it re-ran all ran after incarnation 1's last committed
 *    resume point.
 * Replay fails this: it re-runs everything before the resume point.
 */
export function checkResumed(expected: string[], world: World): string | undefined {
  const want = expected.filter(isStrict);
  const first = world.log.filter((e) => e.incarnation === 1 && keep(e));
  const l1 = probeLabels(first);
  const l2 = probeLabels(world.log, 2).filter(isStrict);
  const context = () => `\n${crashStory(want, first, l2)}`;

  if (l1.join("\n") !== want.slice(0, l1.length).join("\n")) {
    return `before the crash, incarnation 1 did not follow the oracle${context()}`;
  }
  const checkpoints = first.filter((e): e is CheckpointEntry => e.kind === "checkpoint");
  const committed = counts(
    checkpoints.filter((e) => e.stepId && e.stepStatus !== "waiting").map((e) => `step:${baseStepId(e.stepId!)}`),
  );
  const uncommitted = new Map([...counts(l1.filter(isStep))].map(([label, n]) => [label, n - (committed.get(label) ?? 0)]));
  const rest = want.slice(l1.length);
  // the least re-execution that explains incarnation 2
  const overlap = Array.from({ length: l1.length + 1 }, (_, i) => l1.length - i).find((from) => {
    const target = [...l1.slice(from).filter((label) => !isStep(label)), ...rest];
    const withoutReruns = dropFirst(l2, counts(l2), counts(target), uncommitted);
    return withoutReruns !== undefined && withoutReruns.join("\n") === target.join("\n");
  });
  if (overlap === undefined) {
    return `after the crash, incarnation 2 did not finish the oracle's sequence (lost, extra or reordered work)${context()}`;
  }

  // in compiled mode the resume point moves only with checkpoints that write a state (a step
  // settling late, in a state the machine already left, keeps the earlier one) or finish the run;
  // a run that records no states (replay) can at best resume from its last checkpoint
  const recordsStates = checkpoints.some((e) => e.state !== undefined);
  const resumePoint = first.findLastIndex(
    (e) =>
      e.kind === "checkpoint" &&
      (!recordsStates || e.state !== undefined || e.runStatus === "completed" || e.runStatus === "failed"),
  );
  const probesBeforeResumePoint = first.slice(0, resumePoint + 1).filter((e) => e.kind === "probe").length;
  const again = l1.slice(overlap, probesBeforeResumePoint).find((label) => !isStep(label));
  if (again !== undefined) {
    return `"${again}" ran again in incarnation 2 although it ran before the last committed resume point${context()}`;
  }
  return checkReevaluated(expected, probeLabels(world.log));
}

/**
 * `l2` without the first occurrences of each label it has more of than
 * `target`; undefined when a label has more extra occurrences than it may re-run.
 */
function dropFirst(
  l2: string[],
  have: Map<string, number>,
  want: Map<string, number>,
  rerunnable: Map<string, number>,
): string[] | undefined {
  const extra = new Map<string, number>();
  for (const [label, n] of have) {
    const surplus = n - (want.get(label) ?? 0);
    if (surplus === 0) continue;
    if (surplus < 0 || surplus > (rerunnable.get(label) ?? 0)) return undefined;
    extra.set(label, surplus);
  }
  return l2.filter((label) => {
    const n = extra.get(label) ?? 0;
    if (n === 0) return true;
    extra.set(label, n - 1);
    return false;
  });
}

function crashStory(want: string[], first: LogEntry[], l2: string[]): string {
  const l1 = first
    .map((e) =>
      e.kind === "probe" ? e.label : `[checkpoint ${e.stepId ?? ""} ${e.stepStatus ?? e.runStatus ?? ""} state=${e.state ?? "?"}]`,
    )
    .join(" · ");
  return [`  oracle:        ${want.join(" · ")}`, `  incarnation 1: ${l1} ✝`, `  incarnation 2: ${l2.join(" · ")}`].join("\n");
}

function sequenceDiff(want: string[], got: string[]): string {
  let i = 0;
  while (i < want.length && want[i] === got[i]) i++;
  return [
    `  first difference at probe #${i}: expected ${JSON.stringify(want[i])}, got ${JSON.stringify(got[i])}`,
    `  expected: ${want.join(" · ")}`,
    `  actual:   ${got.join(" · ")}`,
  ].join("\n");
}
