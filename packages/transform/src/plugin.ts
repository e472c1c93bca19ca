/**
 * The compiler as a Babel plugin: `plugins: ["@durable-endpoints/transform"]`.
 * Errors are thrown as Babel code-frame errors; endpoints and diagnostics are also
 * left in `file.metadata.durableEndpoints` for tools.
 */
import type { PluginObj, PluginPass } from "@babel/core";
import type * as t from "@babel/types";
import { DiagnosticSink } from "./diagnostics.js";
import { compileEndpoints, endpointMetadata } from "./transform.js";

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
        if (!code.includes(".endpoint(")) return;
        const sink = new DiagnosticSink(code);
        const filename = state.filename ?? "unknown.js";
        const compiled = compileEndpoints(path.parent as t.File, code, { filename, ...options }, sink);
        (state.file.metadata as Record<string, unknown>).durableEndpoints = {
          endpoints: compiled.map((c) => endpointMetadata(c)),
          diagnostics: sink.list,
        };
        const first = sink.list.find((d) => d.severity === "error");
        if (first) throw new Error(`${filename}:${first.line}:${first.column + 1}: ${first.message}\n${first.frame}`);
        for (const c of compiled) c.replace(c.endpoint.machine);
      },
    },
  };
}
