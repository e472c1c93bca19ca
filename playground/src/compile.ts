/**
 * Runs the real compiler in the browser. Its result already describes each state (steps,
 * captured locals, source lines, successors, where its `case` is in the output): the
 * views read that, plus the state table every tool prints.
 */
import { stateRows, transform, type EndpointMetadata, type StateRow } from "@durable-endpoints/transform";
import type { LineDiagnostic } from "./editors.js";

export interface EndpointView extends EndpointMetadata {
  /** the state table: one row per step, plus one per state without a step, in state order */
  rows: StateRow[];
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

export function compile(source: string): Compiled {
  try {
    const result = transform(source, { filename: PLAYGROUND_FILE });
    return { code: result.code, diagnostics: result.diagnostics, endpoints: result.endpoints.map((e) => ({ ...e, rows: stateRows(e) })) };
  } catch (error) {
    const err = error as Error & { loc?: { line: number; column: number } };
    const diagnostic = err.loc ? [{ severity: "error" as const, message: err.message, line: err.loc.line, column: err.loc.column }] : [];
    return { code: "", endpoints: [], diagnostics: diagnostic, crash: err.message };
  }
}

/** A state's lines in the generated code (its `case`). */
export function caseLines(endpoint: EndpointView, state: number): number[] {
  const range = endpoint.stateDescriptions[state]?.codeLines;
  return range ? Array.from({ length: range.last - range.first + 1 }, (_, i) => range.first + i) : [];
}
