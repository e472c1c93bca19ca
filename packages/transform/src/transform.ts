/** `transform(code, options)`: the compiler's entry point (find → analyze → lower → print). */
import { parse, type ParserPlugin } from "@babel/parser";
import type * as t from "@babel/types";
import type { SourceMapInput } from "@jridgewell/trace-mapping";
import type { EncodedSourceMap } from "@jridgewell/gen-mapping";
import { collectDiagnostics, internalError, isError, syntaxError, type Diagnostic } from "./diagnostics.js";
import { findEndpoints } from "./phases/1-find.js";
import { analyzeHandler } from "./phases/2-analyze.js";
import type { MachineStepInfo } from "@durable-endpoints/runtime/machine";
import { lowerEndpoint, type LoweredEndpoint } from "./phases/3-lower/index.js";
import type { LineRange, StateDescription } from "./phases/3-lower/metadata.js";
import { print, type Replacement } from "./phases/4-print.js";
import { relativePath } from "./paths.js";

export const DEFAULT_IMPORT_SOURCES = ["inngest", "@durable-endpoints/runtime"] as const;

export interface TransformOptions {
  filename: string;
  /** produce a source map (default true) */
  sourceMaps?: boolean;
  /** a map from a previous transform of this code, composed into the result */
  inputSourceMap?: SourceMapInput | null;
  /** modules whose `step` export marks step calls (default: "inngest", "@durable-endpoints/runtime") */
  importSources?: readonly string[];
  /** project root for machine ids (default: process.cwd() where available) */
  root?: string;
}

export interface EndpointMetadata {
  id: string;
  name: string;
  version: string;
  /** one entry per await site (per step for `Promise.all([...steps])`), with its state */
  steps: MachineStepInfo[];
  /** number of states (cases) */
  states: number;
  captured: string[];
  live: Record<number, string[]>;
  /** captured locals re-created on resume when a checkpoint could not save them → the locals their initializers read */
  recreate: Record<string, string[]>;
  /** what each state does, in state order */
  stateDescriptions: StateDescription[];
}

export interface TransformResult {
  code: string;
  map: EncodedSourceMap | null;
  endpoints: EndpointMetadata[];
  diagnostics: Diagnostic[];
}

/** The text of an endpoint call: a module without it has nothing to compile. */
export const ENDPOINT_CALL = ".endpoint(";

/** Cheap pre-check (no parsing): can `code` define an endpoint? */
export const mayContainEndpoint = (code: string): boolean => code.includes(ENDPOINT_CALL);

/**
 * Cheap pre-check for a module `transform` compiles: an endpoint call, and the text of an import source as a
 * string (phase 1 looks only at modules that import one). Other modules are not parsed at all, so a syntax
 * error there is left to the bundler.
 */
function mayDefineEndpoint(code: string, importSources: readonly string[]): boolean {
  return mayContainEndpoint(code) && importSources.some((source) => code.includes(`"${source}"`) || code.includes(`'${source}'`));
}

export function transform(code: string, options: TransformOptions): TransformResult {
  if (!mayDefineEndpoint(code, options.importSources ?? DEFAULT_IMPORT_SOURCES)) return { code, map: null, endpoints: [], diagnostics: [] };
  const { result: lowered, diagnostics } = collectDiagnostics(code, () => {
    const file = parseModule(code, options.filename);
    return file ? compileEndpoints(file, code, options) : [];
  });
  if (diagnostics.some(isError) || lowered.length === 0) return { code, map: null, endpoints: lowered.map((l) => endpointMetadata(l)), diagnostics };

  const replacements: Replacement[] = lowered.map((l) => ({ start: l.argument.start!, end: l.argument.end!, header: l.endpoint.header, method: l.endpoint.resume, cases: l.endpoint.cases }));
  const printed = print(code, options.filename, replacements, options.sourceMaps ?? true, options.inputSourceMap);
  return { code: printed.code, map: printed.map, endpoints: lowered.map((l, i) => endpointMetadata(l, printed.caseLines[i])), diagnostics };
}

interface Compiled {
  argument: t.Expression;
  endpoint: LoweredEndpoint;
}

/** Phases 1–3 over a parsed module (shared with the Babel plugin), inside collectDiagnostics(). */
export function compileEndpoints(file: t.File, code: string, options: TransformOptions): (Compiled & { replace(node: t.Expression): void })[] {
  const found = findEndpoints(file, code, options.importSources ?? DEFAULT_IMPORT_SOURCES);
  const modulePath = relativePath(options.root ?? defaultRoot(), options.filename);
  return found.endpoints.flatMap((site) => {
    try {
      const analysis = analyzeHandler(site.handler, found.stepBindings);
      const endpoint = lowerEndpoint(site, analysis, code, `${modulePath}#${site.name}`);
      return [{ argument: site.argument.node, endpoint, replace: (node: t.Expression) => site.argument.replaceWith(node) }];
    } catch (err) {
      // a bug of ours must not crash the user's build: report it where it happened
      internalError(site.handler.node, err instanceof Error ? err.message : String(err));
      return [];
    }
  });
}

export function endpointMetadata({ endpoint }: Compiled, caseLines?: LineRange[]): EndpointMetadata {
  return {
    id: endpoint.id,
    name: endpoint.name,
    version: endpoint.version,
    steps: endpoint.steps,
    states: endpoint.states,
    captured: endpoint.captured,
    live: endpoint.live,
    recreate: endpoint.recreate,
    stateDescriptions: endpoint.stateDescriptions.map((s, i) => (caseLines ? { ...s, codeLines: caseLines[i]! } : s)),
  };
}

function parseModule(code: string, filename: string): t.File | null {
  const plugins: ParserPlugin[] = [];
  if (/\.[cm]?tsx?$/.test(filename)) plugins.push("typescript");
  if (/\.(tsx|jsx|js|mjs|cjs)$/.test(filename)) plugins.push("jsx");
  try {
    // strictMode off: sloppy-only syntax (`with`) gets its own diagnostic instead of a parse error
    return parse(code, { sourceType: "module", sourceFilename: filename, plugins, strictMode: false });
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    syntaxError(e.loc ? { loc: { start: e.loc, end: e.loc } as t.SourceLocation } : null, e.message.replace(/\s*\(\d+:\d+\)$/, "").replace(/\.$/, ""));
    return null;
  }
}

function defaultRoot(): string {
  const proc = (globalThis as { process?: { cwd?: () => string } }).process;
  return proc?.cwd?.() ?? "/";
}
