import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import MagicString from "magic-string";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { rewriteModuleSpecifiers } from "../src/aliases.js";
import { reparseAsSynthesized } from "../src/reparse.js";

const SOURCE = [
  `import { step } from "inngest";`, // 1
  `import type { Thing } from "./types";`, // 2
  `export const handler = async (t: Thing): Promise<string> => {`, // 3
  `  const label: string = "a\\tb";`, // 4
  `  return label + (await step.run("x", () => t.name));`, // 5
  `};`, // 6
].join("\n");

/** Emits `SOURCE` through a real ts.Program whose "before" transformer swaps in `compiled`. */
function emit(compile: (file: ts.SourceFile) => ts.SourceFile) {
  const fileName = "/virtual/handler.ts";
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true, noLib: true, noResolve: true };
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name, version) => (name === fileName ? ts.createSourceFile(name, SOURCE, version, true) : undefined);
  const out: Record<string, string> = {};
  host.writeFile = (name, text) => void (out[name.endsWith(".map") ? "map" : "js"] = text);
  const program = ts.createProgram([fileName], options, host);
  program.emit(undefined, undefined, undefined, false, { before: [() => compile] });
  return out as { js: string; map: string };
}

describe("reparseAsSynthesized", () => {
  it("emits the compiled text, type-stripped, with a source map into the user's lines", () => {
    // A stand-in for the compiler: wraps the body in a state machine-like loop, one line longer.
    const s = new MagicString(SOURCE);
    s.appendLeft(SOURCE.indexOf("  const label"), "  for (;;) {\n");
    s.appendRight(SOURCE.lastIndexOf("};"), "  }\n");
    const compiled = s.toString();
    const map = s.generateMap({ hires: true, source: "handler.ts" });

    const { js, map: jsMap } = emit((file) => reparseAsSynthesized(file, compiled, map));
    expect(js).toContain("for (;;)");
    expect(js).toContain('"a\\tb"'); // literals printed from the new tree, not sliced from the old text
    expect(js).not.toContain("Thing");
    expect(js).not.toContain(": string");

    const jsLines = js.split("\n");
    const returnLine = jsLines.findIndex((l) => l.includes("return label")) + 1;
    const traced = originalPositionFor(new TraceMap(jsMap), { line: returnLine, column: jsLines[returnLine - 1]!.indexOf("return") });
    expect(traced).toMatchObject({ source: "handler.ts", line: 5, column: 2 });
  });

  it("rewrites aliased module specifiers", () => {
    const aliases = new Map([["inngest", "@durable-endpoints/runtime"]]);
    const { js } = emit((file) => rewriteModuleSpecifiers(file, aliases));
    expect(js).toContain(`from "@durable-endpoints/runtime"`);
  });
});
