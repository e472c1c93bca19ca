/**
 * The compiler as a Babel plugin: `plugins: ["@durable-endpoints/transform"]`.
 * Errors are thrown (one CompileError naming them all, with code frames); endpoints and
 * diagnostics, warnings included, are left in `file.metadata.durableEndpoints` for tools.
 */
import type { PluginObj, PluginPass } from "@babel/core";
import type * as t from "@babel/types";
import { collectDiagnostics, isError } from "./diagnostics.js";
import { CompileError } from "./host-diagnostics.js";
import { compileEndpoints, endpointMetadata, mayContainEndpoint } from "./transform.js";

export interface PluginOptions {
  importSources?: readonly string[];
  root?: string;
}

export function durablePlugin(_api: unknown, options: PluginOptions = {}): PluginObj<PluginPass> {
  return {
    name: "durable-endpoints",
    visitor: {
      Program(path, state) {
        const code = state.file.code;
        if (!mayContainEndpoint(code)) return;
        const filename = state.filename ?? "unknown.js";
        const { result: compiled, diagnostics } = collectDiagnostics(code, () => compileEndpoints(path.parent as t.File, code, { filename, ...options }));
        (state.file.metadata as Record<string, unknown>).durableEndpoints = { endpoints: compiled.map((c) => endpointMetadata(c)), diagnostics };
        const errors = diagnostics.filter(isError);
        if (errors.length) throw new CompileError(filename, errors);
        for (const c of compiled) c.replace(c.endpoint.machine);
      },
    },
  };
}
