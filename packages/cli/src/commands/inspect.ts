/** `durable inspect <file>`: per endpoint, its states (step, kind, line, captured locals); then diagnostics. */
import type { Command } from "../command.js";
import type { EndpointMetadata } from "@durable-endpoints/transform";
import { compileFile, formatDiagnostic, hasErrors } from "../source.js";
import { table } from "../table.js";

export const inspectCommand: Command = ({ args, io, cwd }) => {
  const { file, result } = compileFile(args.positionals[0], cwd);
  if (args.flags.has("json")) {
    io.out(JSON.stringify({ file, endpoints: result.endpoints.map((e) => ({ ...e, states: stateRows(e) })), diagnostics: result.diagnostics }, null, 2));
    return hasErrors(result) ? 1 : 0;
  }
  const out: string[] = [`${file}: ${result.endpoints.length} endpoint${result.endpoints.length === 1 ? "" : "s"}`];
  for (const endpoint of result.endpoints) {
    out.push("", `${endpoint.name}  (${endpoint.id})  version ${endpoint.version}`);
    out.push(
      table(
        ["STATE", "STEP", "KIND", "LINE", "CAPTURED LOCALS"],
        stateRows(endpoint).map((r) => [r.state, r.step ?? "—", r.kind, r.line ?? "", r.captured.join(", ") || "—"]),
        [0, 3],
      ),
    );
  }
  out.push("", result.diagnostics.length ? `diagnostics (${result.diagnostics.length})` : "diagnostics: none");
  for (const d of result.diagnostics) out.push(formatDiagnostic(file, d));
  io.out(out.join("\n"));
  return hasErrors(result) ? 1 : 0;
};

interface StateRow {
  state: number;
  step: string | null;
  kind: string;
  line: number | null;
  captured: string[];
}

/**
 * One row per step (a `Promise.all` puts several steps in one state), plus one
 * for each state with no await of its own (entry, loop heads, join points).
 */
function stateRows(endpoint: EndpointMetadata): StateRow[] {
  const rows: StateRow[] = [];
  for (let state = 0; state < endpoint.states; state++) {
    const captured = endpoint.live[state] ?? [];
    const steps = endpoint.steps.filter((s) => s.state === state);
    if (steps.length === 0) rows.push({ state, step: null, kind: state === 0 ? "start" : "control", line: null, captured });
    for (const s of steps) rows.push({ state, step: s.id, kind: s.kind, line: s.line, captured });
  }
  return rows;
}
