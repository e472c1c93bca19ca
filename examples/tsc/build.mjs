import path from "node:path";
import durableTransformer from "@durable-endpoints/tsc";
import ts from "typescript";

// Plain tsc pipeline: program.emit with the durable transformer in the "before" phase.
const dir = path.dirname(new URL(import.meta.url).pathname);
const { config, error } = ts.readConfigFile(path.join(dir, "tsconfig.json"), ts.sys.readFile);
if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
const { options, fileNames } = ts.parseJsonConfigFileContent(config, ts.sys, dir);
const program = ts.createProgram(fileNames, options);

const emitted = program.emit(undefined, undefined, undefined, false, {
  before: [durableTransformer(program, { alias: true })],
});
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
if (diagnostics.length > 0) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => "\n" };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
}
if (emitted.emitSkipped || diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) process.exitCode = 1;
