/** `durable inspect <file>`: per endpoint, its states (step, kind, line, captured locals); then diagnostics. */
import { formatDiagnostic, stateRows } from "@durable-endpoints/transform";
import type { Command } from "../command.js";
import { compileFile, hasErrors } from "../source.js";
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
  for (const d of result.diagnostics) out.push(formatDiagnostic(d, file));
  io.out(out.join("\n"));
  return hasErrors(result) ? 1 : 0;
};
