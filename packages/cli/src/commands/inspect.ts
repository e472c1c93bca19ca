/** `durable inspect <file>`: per endpoint, its states (step, kind, line, captured locals); then diagnostics. */
import type { Command } from "../command.js";
import { compileFile, formatDiagnostic, hasErrors, type CompileResult } from "../source.js";
import { table } from "../table.js";

type Endpoint = CompileResult["endpoints"][number];

export const inspectCommand: Command = ({ args, io, cwd }) => {
  const { file, result } = compileFile(args.positionals[0], cwd);
  if (args.flags.has("json")) {
    io.out(JSON.stringify({ file, endpoints: result.endpoints.map((e) => ({ ...e, states: stateRows(e) })), diagnostics: result.diagnostics }, null, 2));
    return hasErrors(result) ? 1 : 0;
  }
  const out: string[] = [`${file}: ${result.endpoints.length} endpoint${result.endpoints.length === 1 ? "" : "s"}`];
  for (const endpoint of result.endpoints) {
    out.push("", `${endpoint.name}  version ${endpoint.version}`);
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

/** One row per resume point: the await it starts with and the locals a checkpoint there saves. */
function stateRows(endpoint: Endpoint): StateRow[] {
  const captured = (endpoint as { captured?: Record<string, string[]> }).captured ?? {};
  const rows: StateRow[] = [{ state: 0, step: null, kind: "start", line: null, captured: captured[0] ?? [] }];
  for (const step of endpoint.steps as Array<{ id: string | null; kind: string; line: number; state?: number }>) {
    const state = step.state ?? rows.length;
    rows.push({ state, step: step.id, kind: step.kind, line: step.line, captured: captured[state] ?? [] });
  }
  return rows.sort((a, b) => a.state - b.state);
}
