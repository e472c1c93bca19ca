/** `durable compile <file>`: the generated code on stdout, diagnostics on stderr. */
import { formatDiagnostic } from "@durable-endpoints/transform";
import type { Command } from "../command.js";
import { compileFile, hasErrors } from "../source.js";

export const compileCommand: Command = ({ args, io, cwd }) => {
  const { file, result } = compileFile(args.positionals[0], cwd);
  for (const d of result.diagnostics) io.err(formatDiagnostic(d, file));
  if (hasErrors(result)) return 1;
  if (args.flags.has("json")) io.out(JSON.stringify({ file, code: result.code, endpoints: result.endpoints, diagnostics: result.diagnostics }, null, 2));
  else io.out(result.code);
  return 0;
};
