/** What every host (bundler plugins, tsc, the CLI) does with diagnostics: one format, one policy. */
import { isError, type Diagnostic } from "./diagnostics.js";

/**
 * `file:line:column: error DE1234: message` and the code frame — the shape terminals and
 * editors link. Without `file`, for hosts that show the location themselves: `error DE1234: message`.
 */
export function formatDiagnostic(d: Diagnostic, file?: string): string {
  const at = file === undefined ? "" : `${file}:${d.line}:${d.column + 1}: `;
  return `${at}${d.severity} ${d.code}: ${d.message}${d.frame ? `\n${d.frame}` : ""}`;
}

/** A module that cannot be compiled: every error diagnostic, formatted with its file. */
export class CompileError extends Error {
  constructor(
    readonly file: string,
    readonly errors: readonly Diagnostic[],
  ) {
    super(errors.map((d) => formatDiagnostic(d, file)).join("\n\n"));
    this.name = "CompileError";
  }
}

/**
 * What every integration does with a module's diagnostics: each warning goes to `warn`, and
 * the errors, if any, come back as one {@link CompileError} for the host to fail the module with.
 */
export function checkDiagnostics(diagnostics: readonly Diagnostic[], file: string, warn: (warning: Diagnostic) => void): CompileError | null {
  for (const d of diagnostics) if (!isError(d)) warn(d);
  const errors = diagnostics.filter(isError);
  return errors.length ? new CompileError(file, errors) : null;
}
