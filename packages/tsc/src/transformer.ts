import path from "node:path";
import { checkDiagnostics, formatDiagnostic, mayContainEndpoint, resolveAliases, transform, type Diagnostic } from "@durable-endpoints/transform";
import ts from "typescript";
import { rewriteModuleSpecifiers } from "./aliases.js";
import { reparseAsSynthesized } from "./reparse.js";

export interface DurableTransformerOptions {
  /** Project root that endpoint ids are relative to. Default: the program's current directory. */
  root?: string;
  /** Modules whose `inngest.endpoint` / `step` are recognised. Default: the transform's own default. */
  importSources?: string[];
  /** Same as the bundler plugins' `alias`: `true` maps "inngest" / "inngest/edge" to the runtime. */
  alias?: boolean | Readonly<Record<string, string>>;
}

/** What ts-patch passes as the third argument of a "program" transformer. */
export interface TransformerExtras {
  addDiagnostic?: (diagnostic: ts.Diagnostic) => unknown;
}

/**
 * TypeScript custom transformer ("before" phase). It runs the same compiler as the bundler
 * plugins on the module's source text and swaps in the compiled tree (see reparse.ts).
 * Compile errors become ts diagnostics under ts-patch and a thrown Error under `program.emit`.
 */
export function durableTransformer(
  program?: ts.Program,
  options: DurableTransformerOptions = {},
  extras: TransformerExtras = {},
): ts.TransformerFactory<ts.SourceFile> {
  const root = path.resolve(options.root ?? program?.getCurrentDirectory() ?? process.cwd());
  const aliases = resolveAliases(options.alias);
  return () => (sourceFile) => rewriteModuleSpecifiers(compile(sourceFile, root, options, extras), aliases);
}

function compile(sourceFile: ts.SourceFile, root: string, options: DurableTransformerOptions, extras: TransformerExtras): ts.SourceFile {
  const text = sourceFile.text;
  if (sourceFile.isDeclarationFile || !mayContainEndpoint(text)) return sourceFile;
  const result = transform(text, {
    filename: sourceFile.fileName,
    sourceMaps: true,
    root,
    ...(options.importSources && { importSources: options.importSources }),
  });
  report(sourceFile, result.diagnostics, extras);
  if (result.diagnostics.some((d) => d.severity === "error") || result.code === text) return sourceFile;
  return reparseAsSynthesized(sourceFile, result.code, result.map);
}

/** Under ts-patch every diagnostic becomes a TypeScript one; under `program.emit`, warnings are printed and errors thrown. */
function report(file: ts.SourceFile, diagnostics: readonly Diagnostic[], extras: TransformerExtras): void {
  const { addDiagnostic } = extras;
  if (!addDiagnostic) {
    const error = checkDiagnostics(diagnostics, file.fileName, (warning) => console.warn(`[durable-endpoints] ${formatDiagnostic(warning, file.fileName)}`));
    if (error) throw error;
    return;
  }
  for (const d of diagnostics) {
    addDiagnostic({
      category: d.severity === "error" ? ts.DiagnosticCategory.Error : ts.DiagnosticCategory.Warning,
      code: 93_001,
      file,
      start: file.getPositionOfLineAndCharacter(d.line - 1, d.column),
      length: 1,
      messageText: `durable-endpoints ${d.code}: ${d.message}`,
    });
  }
}
