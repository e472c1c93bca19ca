import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import durableTransformer, { durableTransformer as named } from "../src/index.js";

const fixture = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const ENDPOINTS = fixture("../../../examples/shared/src/endpoints.ts");
const BAD = fixture("../../unplugin/test/fixtures/bad-endpoint.ts");

function emit(file: string, transformer: (program: ts.Program) => ts.TransformerFactory<ts.SourceFile>) {
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true, noResolve: true, noLib: true, types: [] };
  const host = ts.createCompilerHost(options);
  const out: { js?: string; map?: string } = {};
  host.writeFile = (name, text) => void (name.endsWith(".map") ? (out.map = text) : (out.js = text));
  const program = ts.createProgram([file], options, host);
  program.emit(undefined, undefined, undefined, false, { before: [transformer(program)] });
  return out as { js: string; map: string };
}

describe("durableTransformer", () => {
  it("is the default and the named export", () => {
    expect(durableTransformer).toBe(named);
  });

  it("emits compiled machines with the alias applied and a source map into the user's lines", () => {
    const { js, map } = emit(ENDPOINTS, (program) => durableTransformer(program, { alias: true, root: fixture("../../../examples/shared") }));
    expect(js).toContain(`id: "src/endpoints.ts#checkout"`);
    expect(js).toContain(`from "@durable-endpoints/runtime"`);
    expect(js).not.toContain(`from "inngest"`);

    const source = readFileSync(ENDPOINTS, "utf8").split("\n");
    const marker = source.findIndex((l) => l.includes("TRACE-MARKER")) + 1;
    const lines = js.split("\n");
    const at = lines.findIndex((l) => l.includes("new Error(`trace"));
    const traced = originalPositionFor(new TraceMap(map), { line: at + 1, column: lines[at]!.indexOf("new Error") });
    expect(traced.line).toBe(marker);
  });

  it("throws the compile errors with file:line:column under program.emit", () => {
    expect(() => emit(BAD, (program) => durableTransformer(program))).toThrow(/bad-endpoint\.ts:8:\d+: error DE1\d{3}/);
  });

  it("reports them as TypeScript diagnostics under ts-patch (addDiagnostic)", () => {
    const reported: ts.Diagnostic[] = [];
    emit(BAD, (program) => durableTransformer(program, {}, { addDiagnostic: (d) => reported.push(d) }));
    expect(reported.length).toBeGreaterThan(0);
    const [first] = reported;
    expect(first!.category).toBe(ts.DiagnosticCategory.Error);
    expect(first!.file!.getLineAndCharacterOfPosition(first!.start!).line + 1).toBe(8);
  });
});
