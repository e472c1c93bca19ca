import { transform, type Diagnostic } from "@durable-endpoints/transform";
import { aliasEdits, rewriteImports } from "./alias.js";
import { applyEdits, editedMap } from "./edit-map.js";

/** A v3 source map as a plain object (what every bundler accepts). */
export interface SourceMapV3 {
  version: 3;
  file?: string;
  sources: string[];
  sourcesContent?: (string | null)[];
  names: string[];
  mappings: string;
}

export interface CompileSettings {
  /** Project root: endpoint ids are module paths relative to it. */
  root: string;
  aliases: ReadonlyMap<string, string>;
}

export interface CompiledModule {
  code: string;
  map: SourceMapV3 | null;
  diagnostics: readonly Diagnostic[];
}

/**
 * Compiles one module: the shared transform (endpoints → state machines), then the alias
 * rewrite, with one source map from the output back to `code`. Returns null when the module
 * is left as is. With error diagnostics, `code` is returned unchanged next to them.
 */
export function compileModule(code: string, filename: string, settings: CompileSettings): CompiledModule | null {
  const result = transform(code, { filename, sourceMaps: true, root: settings.root });
  const { diagnostics } = result;
  if (diagnostics.some((d) => d.severity === "error")) return { code, map: null, diagnostics };
  let out = { code: result.code, map: result.map as SourceMapV3 | null };
  const edits = aliasEdits(out.code, settings.aliases);
  if (edits.length > 0 && out.map) {
    out = { code: applyEdits(out.code, edits), map: editedMap(out.map, out.code, edits) };
  } else if (edits.length > 0) {
    const rewritten = rewriteImports(out.code, settings.aliases)!;
    out = { code: rewritten.toString(), map: JSON.parse(rewritten.generateMap({ hires: true, source: filename }).toString()) as SourceMapV3 };
  }
  if (out.code === code) return diagnostics.length > 0 ? { code, map: null, diagnostics } : null;
  return { code: out.code, map: out.map && pointAtSource(out.map, filename, code), diagnostics };
}

// Bundlers relativise absolute `sources`; embedding the original text keeps stack traces readable anywhere.
function pointAtSource(map: SourceMapV3, filename: string, code: string): SourceMapV3 {
  return { ...map, file: filename, sources: [filename], sourcesContent: [code] };
}

/** An inline `sourceMappingURL` comment, for hosts that take code only (Bun). */
export function inlineSourceMap(map: SourceMapV3): string {
  return `\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}`;
}
