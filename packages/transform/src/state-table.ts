/** The state table that tools print (`durable inspect`, the playground): one row per step, per state. */
import type { StepKind } from "@durable-endpoints/runtime/machine";
import type { EndpointMetadata } from "./transform.js";

export interface StateRow {
  state: number;
  /** the step's id (null for a plain await, or a state without an await) */
  step: string | null;
  /** "start" for state 0 and "control" for the other states that do not start with an await */
  kind: StepKind | "start" | "control";
  /** source line of the await (null: none) */
  line: number | null;
  /** the locals a checkpoint in this state saves */
  captured: string[];
}

/**
 * One row per step (a `Promise.all` puts several steps in one state), plus one for each
 * state with no await of its own (entry, loop heads, join points).
 */
export function stateRows(endpoint: Pick<EndpointMetadata, "stateDescriptions">): StateRow[] {
  return endpoint.stateDescriptions.flatMap(({ state, steps, live }): StateRow[] =>
    steps.length
      ? steps.map((s) => ({ state, step: s.id, kind: s.kind, line: s.line, captured: live }))
      : [{ state, step: null, kind: state === 0 ? "start" : "control", line: null, captured: live }],
  );
}
