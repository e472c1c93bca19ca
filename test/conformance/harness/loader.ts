/**
 * Turns a corpus module into something importable in one of three worlds:
 *  - "oracle": uncompiled, runtime imports → the oracle;
 *  - "real":   compiled or not, runtime imports → the real runtime (via the facade);
 *  - "child":  compiled, plain JS for a child node process (built dist, file probes).
 * Import specifiers are rewritten (the seed's "inngest" / "inngest/edge" included);
 * relative imports are made absolute because the output lives in .out/.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@babel/parser";
import MagicString from "magic-string";

export type Flavor = "oracle" | "real" | "child";

const here = dirname(fileURLToPath(import.meta.url));
export const conformanceDir = resolve(here, "..");
export const repoRoot = resolve(conformanceDir, "../..");
const outDir = resolve(conformanceDir, ".out");
const probeModule = resolve(conformanceDir, "probe.ts");

const runtimeTarget: Record<Flavor, string> = {
  oracle: resolve(here, "oracle-runtime.ts"),
  real: resolve(here, "real-runtime.ts"),
  child: resolve(conformanceDir, "child/runtime.mjs"),
};
const edgeTarget: Record<Flavor, string> = {
  oracle: runtimeTarget.oracle,
  real: "@durable-endpoints/runtime/edge",
  child: "@durable-endpoints/runtime/edge",
};

/** Runtime import sources the transform must recognise ("inngest" is one by default: seed code compiles unchanged). */
export const importSources = ["@durable-endpoints/runtime", "inngest"];

function mapSpecifier(spec: string, fromFile: string, flavor: Flavor): string {
  if (spec === "inngest" || spec === "@durable-endpoints/runtime") return runtimeTarget[flavor];
  if (spec === "inngest/edge" || spec === "@durable-endpoints/runtime/edge") return edgeTarget[flavor];
  if (!spec.startsWith(".")) return spec;
  let target = resolve(dirname(fromFile), spec);
  if (!existsSync(target) && target.endsWith(".js")) target = target.slice(0, -3) + ".ts";
  if (target === probeModule && flavor === "child") return resolve(conformanceDir, "child/probe.mjs");
  return target;
}

/** Rewrites every static import/export source and literal dynamic import. */
export function rewriteImports(code: string, fromFile: string, flavor: Flavor): string {
  const ast = parse(code, { sourceType: "module", plugins: ["typescript"] });
  const out = new MagicString(code);
  const rewrite = (node: { start?: number | null; end?: number | null; value: string }) =>
    out.overwrite(node.start!, node.end!, JSON.stringify(mapSpecifier(node.value, fromFile, flavor)));
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { type?: string; source?: unknown; arguments?: unknown[]; callee?: { type?: string } };
    if (
      (n.type === "ImportDeclaration" || n.type === "ExportNamedDeclaration" || n.type === "ExportAllDeclaration") &&
      n.source
    ) {
      rewrite(n.source as never);
    }
    if (n.type === "CallExpression" && n.callee?.type === "Import" && (n.arguments?.[0] as { type?: string })?.type === "StringLiteral") {
      rewrite(n.arguments![0] as never);
    }
    for (const [key, value] of Object.entries(node)) {
      if (key !== "loc" && key !== "leadingComments" && key !== "trailingComments") visit(value);
    }
  };
  visit(ast.program);
  return out.toString();
}

export interface CompileResult {
  code: string;
  endpoints: Array<{ name: string; version: string; steps: unknown[]; states: number; captured: unknown }>;
}

/** Compiles with @durable-endpoints/transform; error diagnostics fail loudly with their frames. */
export async function compile(code: string, file: string): Promise<CompileResult> {
  const { transform } = await import("@durable-endpoints/transform");
  const result = transform(code, { filename: file, root: repoRoot, importSources });
  const errors = (result.diagnostics ?? []).filter((d: { severity: string }) => d.severity === "error");
  if (errors.length) {
    const text = errors.map((d: { message: string; line: number; frame?: string }) => `${d.message} (line ${d.line})\n${d.frame ?? ""}`);
    throw new Error(`transform reported errors for ${relative(repoRoot, file)}:\n${text.join("\n")}`);
  }
  return result as CompileResult;
}

const prepared = new Map<string, string>();

/**
 * Writes the module for (file, compiled, flavor) into .out/ once and returns
 * its path.
 */
export async function prepare(
  file: string,
  options: { compiled: boolean; flavor: Flavor },
): Promise<string> {
  const key = `${file}|${options.compiled}|${options.flavor}`;
  const cached = prepared.get(key);
  if (cached) return cached;
  let code = readFileSync(file, "utf8");
  if (options.compiled) code = (await compile(code, file)).code;
  code = rewriteImports(code, file, options.flavor);
  const name = relative(conformanceDir, file).replace(/[\\/]/g, "__").replace(/\.ts$/, "");
  const tag = `${options.compiled ? "compiled" : "plain"}.${options.flavor}`;
  let outFile = resolve(outDir, `${name}.${tag}.ts`);
  if (options.flavor === "child") {
    const { transformSync } = await import("esbuild");
    code = transformSync(code, { loader: "ts", format: "esm", target: "node20" }).code;
    outFile = outFile.replace(/\.ts$/, ".mjs");
  }
  mkdirSync(outDir, { recursive: true });
  // atomic: another test process may be importing the same file right now
  const partial = `${outFile}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, outFile);
  prepared.set(key, outFile);
  return outFile;
}

let instances = 0;

/** Evaluates a prepared module afresh (a new module instance, as in a new process). */
export async function evaluate(path: string): Promise<Record<string, unknown>> {
  return import(/* @vite-ignore */ `${path}?instance=${++instances}`);
}
