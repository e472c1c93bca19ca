/** The machine's header: version hash, step summary, and its printed form. */
import * as t from "@babel/types";
import { fnv1a64 } from "../../hash.js";
import type { AwaitSite } from "./lowerer.js";

/** Bump when the shape of the lowering changes: state numbers of old runs would not match. */
const LOWERING_FORMAT = "de-lowering-1";

export interface StepSummary {
  id: string | null;
  kind: "run" | "sleep" | "sleepUntil" | "waitForEvent" | "await";
  line: number;
  state: number;
}

export interface MachineHeader {
  id: string;
  name: string;
  version: string;
  live: Record<number, string[]>;
  steps: StepSummary[];
}

export function handlerVersion(handler: t.Node): string {
  return fnv1a64(`${LOWERING_FORMAT}\n${normalize(handler)}`).slice(0, 12);
}

/** One entry per await site; a `Promise.all` of steps lists each of its steps. */
export function summarizeSteps(awaits: readonly AwaitSite[]): StepSummary[] {
  return [...awaits]
    .sort((a, b) => a.state - b.state)
    .flatMap((site): StepSummary[] =>
      site.steps.length
        ? site.steps.map((s) => ({ id: s.id, kind: s.kind, line: site.line, state: site.state }))
        : [{ id: null, kind: "await", line: site.line, state: site.state }],
    );
}

/** The header as an AST (for the Babel plugin), followed by `resume`. */
export function machineObject(header: MachineHeader, resume: t.ObjectMethod): t.ObjectExpression {
  const prop = (key: string, value: t.Expression) => t.objectProperty(t.identifier(key), value);
  const live = Object.entries(header.live).map(([s, names]) => t.objectProperty(t.numericLiteral(Number(s)), t.valueToNode(names)));
  return t.objectExpression([
    prop("durable", t.numericLiteral(1)),
    prop("id", t.stringLiteral(header.id)),
    prop("name", t.stringLiteral(header.name)),
    prop("version", t.stringLiteral(header.version)),
    prop("live", t.objectExpression(live)),
    prop("steps", t.valueToNode(header.steps)),
    resume,
  ]);
}

/** `live: { 1: […], 2: […] }` on one line when short, else one state per line. */
function liveLine(entries: string[]): string {
  if (entries.length === 0) return "live: {}";
  const oneLine = `live: { ${entries.join(", ")} }`;
  return oneLine.length <= 100 ? oneLine : `live: {\n${entries.map((e) => `  ${e},`).join("\n")}\n}`;
}

/** The header as compact source lines: `live` on one line when short, one step per line. */
export function headerLines(header: MachineHeader): string[] {
  const list = (names: string[]) => `[${names.map((n) => JSON.stringify(n)).join(", ")}]`;
  const step = (s: StepSummary) => `  { id: ${JSON.stringify(s.id)}, kind: "${s.kind}", line: ${s.line}, state: ${s.state} },`;
  return [
    "durable: 1",
    `id: ${JSON.stringify(header.id)}`,
    `name: ${JSON.stringify(header.name)}`,
    `version: ${JSON.stringify(header.version)}`,
    liveLine(Object.entries(header.live).map(([s, names]) => `${s}: ${list(names)}`)),
    header.steps.length ? `steps: [\n${header.steps.map(step).join("\n")}\n]` : "steps: []",
  ];
}

const POSITION_KEYS = new Set(["start", "end", "loc", "range", "extra", "leadingComments", "trailingComments", "innerComments", "comments"]);

/** The handler's AST without positions and comments: reformatting never changes the version. */
function normalize(node: t.Node): string {
  return JSON.stringify(node, (key, value) => (POSITION_KEYS.has(key) ? undefined : value));
}
