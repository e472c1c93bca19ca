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

/**
 * Probe sequences are compared statement by statement; between two
 * statements, step bodies are compared as a multiset: concurrent steps (and
 * retries, which wake at their own exact times) may interleave differently.
 */
interface Segmented {
  statements: string[];
  /** steps[i]: step bodies run before statement i (steps[statements.length]: after the last) */
  steps: Array<Map<string, number>>;
}

function segments(labels: string[]): Segmented {
  const statements: string[] = [];
  const steps = [new Map<string, number>()];
  for (const label of labels) {
    if (isStep(label)) steps.at(-1)!.set(label, (steps.at(-1)!.get(label) ?? 0) + 1);
    else {
      statements.push(label);
      steps.push(new Map());
    }
  }
  return { statements, steps };
}

function add(into: Map<string, number>, from: Map<string, number> | undefined): void {
  for (const [label, n] of from ?? []) into.set(label, (into.get(label) ?? 0) + n);
}

/** No crash: the oracle's probes (re-evaluated "~" probes at least as often). */
export function checkSameProbes(expected: string[], world: World): string | undefined {
  const want = expected.filter(isStrict);
  const got = probeLabels(world.log).filter(isStrict);
  const a = segments(want);
  const b = segments(got);
  const same =
    a.statements.join("\n") === b.statements.join("\n") &&
    a.steps.every((steps, i) => sameCounts(steps, b.steps[i]!));
  if (!same) return `probe sequence differs\n${sequenceDiff(want, got)}`;
  return checkReevaluated(expected, probeLabels(world.log));
}

function sameCounts(a: Map<string, number>, b: Map<string, number>): boolean {
  return a.size === b.size && [...a].every(([label, n]) => b.get(label) === n);
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
 *  - the statements incarnation 1 ran are a prefix of the oracle's, those of
 *    incarnation 2 a suffix: nothing lost, nothing reordered; the ones both
 *    ran all ran after incarnation 1's last committed resume point;
 *  - together they ran every step body the oracle ran, in the same place
 *    between statements; extra runs only of steps that had started but whose
 *    outcome was not committed (the step cut short by the crash, Promise.all
 *    members in flight), at most once each.
 * Replay fails this: it re-runs everything before the resume point.
 */
export function checkResumed(expected: string[], world: World): string | undefined {
  const want = expected.filter(isStrict);
  const first = world.log.filter((e) => e.incarnation === 1 && keep(e));
  const l1 = probeLabels(first);
  const l2 = probeLabels(world.log, 2).filter(isStrict);
  const context = () => `\n${crashStory(want, first, l2)}`;
  const [o, a, b] = [segments(want), segments(l1), segments(l2)];

  if (a.statements.join("\n") !== o.statements.slice(0, a.statements.length).join("\n")) {
    return `before the crash, incarnation 1 did not follow the oracle${context()}`;
  }
  const start = o.statements.length - b.statements.length;
  if (start < 0 || b.statements.join("\n") !== o.statements.slice(start).join("\n")) {
    return `after the crash, incarnation 2 did not finish the oracle's sequence (lost, extra or reordered work)${context()}`;
  }
  if (start > a.statements.length) return `statements between the crash and the resume point were skipped${context()}`;

  // in compiled mode the resume point moves only with checkpoints that write a state (a step
  // settling late, in a state the machine already left, keeps the earlier one) or finish the run;
  // a run that records no states (replay) can at best resume from its last checkpoint
  const checkpoints = first.filter((e): e is CheckpointEntry => e.kind === "checkpoint");
  const recordsStates = checkpoints.some((e) => e.state !== undefined);
  const resumePoint = first.findLastIndex(
    (e) =>
      e.kind === "checkpoint" &&
      (!recordsStates || e.state !== undefined || e.runStatus === "completed" || e.runStatus === "failed"),
  );
  const statementsBeforeResumePoint = segments(probeLabels(first.slice(0, resumePoint + 1))).statements.length;
  if (start < statementsBeforeResumePoint) {
    const again = o.statements[start]!;
    return `"${again}" ran again in incarnation 2 although it ran before the last committed resume point${context()}`;
  }

  const committed = counts(
    checkpoints.filter((e) => e.stepId && e.stepStatus !== "waiting").map((e) => `step:${baseStepId(e.stepId!)}`),
  );
  const rerunnable = new Map([...counts(l1.filter(isStep))].map(([label, n]) => [label, n - (committed.get(label) ?? 0)]));
  const surplus = new Map<string, number>();
  for (const [i, steps] of o.steps.entries()) {
    const ran = new Map<string, number>();
    add(ran, a.steps[i]);
    add(ran, b.steps[i - start]);
    for (const label of new Set([...steps.keys(), ...ran.keys()])) {
      const extra = (ran.get(label) ?? 0) - (steps.get(label) ?? 0);
      if (extra < 0) return `"${label}" ran ${-extra} time(s) too few before "${o.statements[i] ?? "the end"}"${context()}`;
      surplus.set(label, (surplus.get(label) ?? 0) + extra);
    }
  }
  for (const [label, extra] of surplus) {
    if (extra > Math.max(0, rerunnable.get(label) ?? 0)) {
      return `"${label}" ran ${extra} extra time(s) although its outcome was committed before the crash${context()}`;
    }
  }
  return checkReevaluated(expected, probeLabels(world.log));
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
