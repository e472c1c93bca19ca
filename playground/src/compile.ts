/**
 * Runs the real compiler in the browser and reshapes its result for the views:
 * one row per state (step id, kind, source line, captured locals) and, per state,
 * the lines of its `case` in the generated code.
 */
import { transform } from "@durable-endpoints/transform";
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
  const segments = machineSegments(result.code);
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
    endpoints: result.endpoints.map((endpoint, i) => toView(endpoint, segments[i] ?? new Map())),
  };
}

/**
 * One row per step (a `Promise.all` puts several steps in one state), plus one
 * for each state with no await of its own (entry, loop heads, join points).
 */
function toView(endpoint: RawEndpoint, segments: Map<number, Segment>): EndpointView {
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
    edges: new Map([...segments].map(([state, seg]) => [state, seg.next])),
  };
}

interface Segment {
  lines: number[];
  next: Array<number | "end">;
}

/**
 * Reads the generated code's `switch ($.state)`: for each machine (in order),
 * the lines of every `case N:` and the states it assigns next. Only a view aid:
 * if the printed shape changes, the table still works and the graph gets thinner.
 */
function machineSegments(code: string): Array<Map<number, Segment>> {
  const lines = code.split("\n");
  const machines: Array<Map<number, Segment>> = [];
  let current: Segment | undefined;
  lines.forEach((text, index) => {
    if (/\bresume\s*\(/.test(text)) {
      machines.push(new Map());
      current = undefined;
      return;
    }
    const machine = machines.at(-1);
    if (!machine) return;
    const label = /^\s*case (\d+):/.exec(text);
    if (label) {
      current = { lines: [], next: [] };
      machine.set(Number(label[1]), current);
    }
    if (!current) return;
    current.lines.push(index + 1);
    for (const match of text.matchAll(/\.state\s*=\s*(\d+)/g)) addEdge(current, Number(match[1]));
    if (/\b(return|throw)\b/.test(text)) addEdge(current, "end");
  });
  return machines;
}

function addEdge(segment: Segment, to: number | "end"): void {
  if (!segment.next.includes(to)) segment.next.push(to);
}
