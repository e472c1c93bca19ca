/**
 * What the machine says about itself: one description per state (built from the emitter's
 * cases), the version hash, and the header — `durable`, `id`, `name`, `version`, `live`,
 * `steps`, `recreate` of packages/runtime/src/machine.ts — derived from those descriptions once and
 * rendered as source lines (the printer) or as an AST (the Babel plugin).
 */
import { MACHINE_FORMAT, type MachineStepInfo } from "@durable-endpoints/runtime/machine";
import * as t from "@babel/types";
import { Fnv1a64 } from "../../hash.js";
import type { Case } from "./emitter.js";
import type { AwaitSite } from "./lowerer.js";
import { walk } from "../../ast/walk.js";

/** Bump when the shape of the lowering changes: state numbers of old runs would not match. */
const LOWERING_FORMAT = "de-lowering-1";

/** An await site of a state: its step (`id: null`, `kind: "await"` for an await of anything else). */
export type StateStep = Omit<MachineStepInfo, "state">;

/** What one state (one `case` of the machine) does. */
export interface StateDescription {
  state: number;
  /** the awaits its case starts with: one, one per step of a `Promise.all`, none for a control state */
  steps: StateStep[];
  /** the locals a checkpoint taken in this state saves */
  live: string[];
  /** the source lines its code was compiled from */
  lines: number[];
  /** the states it can continue in; "end" when it can return or throw */
  next: Array<number | "end">;
  /** where its `case` is in the printed code (set by the printer; absent when nothing was printed) */
  codeLines?: LineRange;
}

/** 1-based lines, inclusive */
export interface LineRange {
  first: number;
  last: number;
}

/** The header's `live` and `steps`, as machine.ts defines them. */
export interface StateSummary {
  live: Record<number, string[]>;
  steps: MachineStepInfo[];
}

export interface MachineHeader extends StateSummary {
  id: string;
  name: string;
  version: string;
  /** captured locals a resumed run re-creates when a checkpoint could not save them, with what their creation reads (printed only when there are some) */
  recreate: Record<string, string[]>;
}

export function handlerVersion(handler: t.Node): string {
  const hash = new Fnv1a64().update(`${LOWERING_FORMAT}\n`);
  normalize(handler, (piece) => hash.update(piece));
  return hash.digest().slice(0, 12);
}

/** One description per case, in state order (call after the emitter renumbered its states). */
export function describeStates(cases: readonly Case[], awaits: readonly AwaitSite[], live: ReadonlyMap<number, string[]>, ctx: t.Identifier): StateDescription[] {
  const awaitAt = new Map(awaits.map((site) => [site.state, site]));
  return cases.map(({ state, body }) => {
    const site = awaitAt.get(state);
    const steps: StateStep[] = !site ? [] : site.steps.length ? site.steps.map((s) => ({ id: s.id, kind: s.kind, line: site.line })) : [{ id: null, kind: "await", line: site.line }];
    return { state, steps, live: live.get(state) ?? [], ...linesAndSuccessors(body, ctx) };
  });
}

/** `live` lists every state that starts with an await (a checkpoint can only be taken there). */
export function summarizeStates(states: readonly StateDescription[]): StateSummary {
  const withAwait = states.filter((s) => s.steps.length > 0);
  return {
    live: Object.fromEntries(withAwait.map((s) => [s.state, s.live])),
    steps: withAwait.flatMap((s) => s.steps.map((step) => ({ ...step, state: s.state }))),
  };
}

/**
 * Source lines: the lines of every node of the case that has a position (callbacks included).
 * Successors: `$.state = N` and `return`/`throw` outside nested functions.
 */
function linesAndSuccessors(body: readonly t.Statement[], ctx: t.Identifier): Pick<StateDescription, "lines" | "next"> {
  const lines = new Set<number>();
  const next: Array<number | "end"> = [];
  const add = (to: number | "end") => next.includes(to) || next.push(to);
  for (const statement of body) {
    walk(statement, (node) => {
      if (!node.loc) return;
      for (let line = node.loc.start.line; line <= node.loc.end.line; line++) lines.add(line);
      return false; // its children are within those lines
    });
    walk(statement, (node) => {
      if (t.isFunction(node) || t.isClass(node)) return false;
      if (t.isReturnStatement(node) || t.isThrowStatement(node)) add("end");
      if (t.isAssignmentExpression(node) && isStateOf(node.left, ctx) && t.isNumericLiteral(node.right)) add(node.right.value);
    });
  }
  return { lines: [...lines].sort((a, b) => a - b), next };
}

/** Is `node` the machine's `$.state`? */
export function isStateOf(node: t.Node, ctx: t.Identifier): boolean {
  return t.isMemberExpression(node) && t.isIdentifier(node.object, { name: ctx.name }) && t.isIdentifier(node.property, { name: "state" });
}

/** The header's properties, in the order they are printed. */
function headerFields(header: MachineHeader): Array<[string, unknown]> {
  return [
    ["durable", MACHINE_FORMAT],
    ["id", header.id],
    ["name", header.name],
    ["version", header.version],
    ["live", header.live],
    ["steps", header.steps],
    ...(Object.keys(header.recreate).length ? [["recreate", header.recreate] as [string, unknown]] : []),
  ];
}

/** The machine object as an AST (for the Babel plugin): the header, then `resume`. */
export function machineObject(header: MachineHeader, resume: t.ObjectMethod | t.ObjectProperty): t.ObjectExpression {
  return t.objectExpression([...headerFields(header).map(([key, value]) => t.objectProperty(t.identifier(key), valueNode(value))), resume]);
}

/** The header as compact source lines: a field on one line when it fits, one step per line. */
export function headerLines(header: MachineHeader): string[] {
  return headerFields(header).map(([key, value]) => `${key}: ${valueSource(value, MAX_LINE - key.length - 2)}`);
}

const MAX_LINE = 100;

function valueSource(value: unknown, width = Infinity): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => valueSource(v));
    return value.some(isObject) ? `[\n${items.map((i) => `  ${i},`).join("\n")}\n]` : `[${items.join(", ")}]`;
  }
  if (isObject(value)) {
    const entries = Object.entries(value).map(([key, v]) => `${key}: ${valueSource(v)}`);
    if (entries.length === 0) return "{}";
    const oneLine = `{ ${entries.join(", ")} }`;
    return oneLine.length <= width ? oneLine : `{\n${entries.map((e) => `  ${e},`).join("\n")}\n}`;
  }
  return JSON.stringify(value);
}

function valueNode(value: unknown): t.Expression {
  if (Array.isArray(value)) return t.arrayExpression(value.map(valueNode));
  if (isObject(value)) {
    const key = (k: string) => (/^\d+$/.test(k) ? t.numericLiteral(Number(k)) : t.identifier(k));
    return t.objectExpression(Object.entries(value).map(([k, v]) => t.objectProperty(key(k), valueNode(v))));
  }
  return t.valueToNode(value);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const POSITION_KEYS = new Set(["start", "end", "loc", "range", "extra", "leadingComments", "trailingComments", "innerComments", "comments"]);

/** `"key":` per property name of AST nodes (a bounded set: their fields) */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) quotedKeys.set(key, (quoted = `${JSON.stringify(key)}:`));
  return quoted;
}

/**
 * The handler's AST without positions and comments, in pieces: reformatting never changes the version. Their
 * concatenation is `JSON.stringify(node, (key, value) => (POSITION_KEYS.has(key) ? undefined : value))`, which
 * the version was defined with, without a replacer call per value or the whole text in memory (~3% of a transform).
 */
function normalize(value: unknown, write: (piece: string) => void): boolean {
  if (typeof value !== "object") {
    const text = JSON.stringify(value); // undefined for `undefined` and functions, as there
    if (text === undefined) return false;
    write(text);
  } else if (value === null) write("null");
  else if (Array.isArray(value)) {
    write("[");
    value.forEach((item, i) => {
      if (i > 0) write(",");
      if (!normalize(item, write)) write("null");
    });
    write("]");
  } else {
    write("{");
    let first = true;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (POSITION_KEYS.has(key) || item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      if (!first) write(",");
      write(quotedKey(key));
      first = false;
      normalize(item, write);
    }
    write("}");
  }
  return true;
}
