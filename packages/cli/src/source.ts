/** Reads a handler module and runs the compiler on it. */
import { readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { transform, type TransformResult } from "@durable-endpoints/transform";
import { CliError } from "./errors.js";

export interface CompiledFile {
  /** path as the user should see it (relative to the working directory) */
  file: string;
  code: string;
  result: TransformResult;
}

export function compileFile(path: string | undefined, cwd: string): CompiledFile {
  if (!path) throw new CliError("missing <file>: which module should be compiled?");
  const absolute = resolve(cwd, path);
  let code: string;
  try {
    if (!statSync(absolute).isFile()) throw new CliError(`not a file: ${path}`);
    code = readFileSync(absolute, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  return { file: relative(cwd, absolute) || path, code, result: transform(code, { filename: absolute, root: cwd }) };
}

export const hasErrors = (result: TransformResult): boolean => result.diagnostics.some((d) => d.severity === "error");
