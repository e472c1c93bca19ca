/**
 * Runs the real compiler in the browser and reshapes its result for the views:
 * one row per state (step id, kind, source line, captured locals) and, per state,
 * the lines of its `case` in the generated code.
 */
import { transform } from "@durable-endpoints/transform";
import type { Node, SwitchStatement } from "@babel/types";
import { eachMapping, TraceMap } from "@jridgewell/trace-mapping";
import { isFunction, parseTs, walk } from "./ast.js";
import type { LineDiagnostic } from "./editors.js";

export interface StateRow {
  state: number;
  stepId: string | null;
  kind: string;
  /** 1-based line in the source (0: none) */
  line: number;
  captured: string[];
}

export interface EndpointView {
  name: string;
  version: string;
  /** one row per step, plus one per state without a step, in state order */
  states: StateRow[];
  /** state → 1-based lines of its `case` in the generated code */
  caseLines: Map<number, number[]>;
  /** state → the source lines its `case` was compiled from (through the source map) */
  sourceLines: Map<number, number[]>;
  /** state → states it can go to next ("end" = returns or throws) */
  edges: Map<number, Array<number | "end">>;
}

export interface Diagnostic extends LineDiagnostic {
  /** stable DE1xxx code of the compiler's diagnostic catalogue */
  code?: string;
  frame?: string;
}

export interface Compiled {
  code: string;
  endpoints: EndpointView[];
  diagnostics: Diagnostic[];
  /** an exception thrown by the compiler itself (a bug, or a syntax error it did not turn into a diagnostic) */
  crash?: string;
}

export const PLAYGROUND_FILE = "playground.ts";

type TransformResult = ReturnType<typeof transform>;
type RawEndpoint = TransformResult["endpoints"][number];

export function compile(source: string): Compiled {
  let result: TransformResult;
  try {
    result = transform(source, { filename: PLAYGROUND_FILE });
  } catch (error) {
    const err = error as Error & { loc?: { line: number; column: number } };
    const diagnostic = err.loc ? [{ severity: "error" as const, message: err.message, line: err.loc.line, column: err.loc.column }] : [];
    return { code: "", endpoints: [], diagnostics: diagnostic, crash: err.message };
  }
  // with errors the compiler returns the source unchanged: there is no machine to read
  const segments = result.diagnostics.some((d) => d.severity === "error") ? [] : machineSegments(result.code);
  return {
    code: result.code,
    diagnostics: result.diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      line: d.line,
      column: d.column,
      frame: d.frame,
    })),
    endpoints: result.endpoints.map((endpoint, i) => toView(endpoint, segments[i] ?? new Map(), result.map)),
  };
}

/**
 * One row per step (a `Promise.all` puts several steps in one state), plus one
 * for each state with no await of its own (entry, loop heads, join points).
 */
function toView(endpoint: RawEndpoint, segments: Map<number, Segment>, map: TransformResult["map"]): EndpointView {
  const rows: StateRow[] = [];
  for (let state = 0; state < endpoint.states; state++) {
    const captured = [...(endpoint.live[state] ?? [])];
    const steps = endpoint.steps.filter((s) => s.state === state);
    if (steps.length === 0) rows.push({ state, stepId: null, kind: state === 0 ? "start" : "control", line: 0, captured });
    for (const s of steps) rows.push({ state, stepId: s.id, kind: s.kind, line: s.line, captured });
  }
  return {
    name: endpoint.name,
    version: endpoint.version,
    states: rows,
    caseLines: new Map([...segments].map(([state, seg]) => [state, seg.lines])),
    sourceLines: originalLines(segments, map),
    edges: new Map([...segments].map(([state, seg]) => [state, seg.next])),
  };
}

/** For each state, the original lines that its generated `case` lines map back to. */
function originalLines(segments: Map<number, Segment>, map: TransformResult["map"]): Map<number, number[]> {
  const byGenerated = new Map<number, Set<number>>();
  if (map) {
    eachMapping(new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]), (m) => {
      if (m.originalLine === null) return;
      const lines = byGenerated.get(m.generatedLine) ?? new Set<number>();
      byGenerated.set(m.generatedLine, lines.add(m.originalLine));
    });
  }
  return new Map(
    // the `case N:` label itself is synthesized: it carries the previous statement's position, so skip it
    [...segments].map(([state, seg]) => [state, [...new Set(seg.lines.slice(1).flatMap((line) => [...(byGenerated.get(line) ?? [])]))].sort((a, b) => a - b)]),
  );
}

interface Segment {
  lines: number[];
  next: Array<number | "end">;
}

/**
 * Reads each machine's `switch ($.state)` in the generated code: for every
 * `case N:`, its lines and the states it can go to next (`$.state = M`), or
 * "end" for a `return`/`throw` of the handler itself (not of a nested callback).
 */
function machineSegments(code: string): Array<Map<number, Segment>> {
  const machines: Array<Map<number, Segment>> = [];
  walk(parseTs(code).program, (node) => {
    if (node.type !== "ObjectMethod" || node.key.type !== "Identifier" || node.key.name !== "resume") return;
    walk(node.body, (inner) => {
      if (inner.type !== "SwitchStatement" || !isStateRead(inner.discriminant)) return;
      machines.push(readSwitch(inner));
      return false;
    });
    return false;
  });
  return machines;
}

function readSwitch(node: SwitchStatement): Map<number, Segment> {
  const segments = new Map<number, Segment>();
  node.cases.forEach((branch, i) => {
    if (branch.test?.type !== "NumericLiteral" || !branch.loc) return;
    const last = node.cases[i + 1]?.loc?.start.line ?? branch.loc.end.line + 1;
    const segment: Segment = { lines: range(branch.loc.start.line, last - 1), next: [] };
    for (const stmt of branch.consequent) collectExits(stmt, segment);
    segments.set(branch.test.value, segment);
  });
  return segments;
}

function collectExits(stmt: Node, segment: Segment): void {
  const visit = (node: Node): boolean => {
    if (isFunction(node)) return false;
    if (node.type === "ReturnStatement" || node.type === "ThrowStatement") addEdge(segment, "end");
    if (node.type === "AssignmentExpression" && isStateRead(node.left) && node.right.type === "NumericLiteral") addEdge(segment, node.right.value);
    return true;
  };
  if (visit(stmt)) walk(stmt, visit);
}

/** `$.state` (whatever the context parameter is called) */
function isStateRead(node: Node): boolean {
  return node.type === "MemberExpression" && node.property.type === "Identifier" && node.property.name === "state";
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function addEdge(segment: Segment, to: number | "end"): void {
  if (!segment.next.includes(to)) segment.next.push(to);
}
