import { checkDiagnostics, formatDiagnostic, type Diagnostic } from "@durable-endpoints/transform";
import { createUnplugin, type UnpluginFactory, type UnpluginMessage } from "unplugin";
import { compileModule, type CompileSettings } from "./compile.js";
import { transformFilter } from "./filter.js";
import type { DurableOptions } from "./options.js";
import { resolveSettings } from "./settings.js";

export const PLUGIN_NAME = "durable-endpoints";

/** The one factory behind the Vite, Rollup, webpack, Rspack and esbuild plugins. */
export const unpluginFactory: UnpluginFactory<DurableOptions | undefined, false> = (options = {}, meta) => {
  let settings: CompileSettings = resolveSettings(options, process.cwd());
  const useRoot = (root: string | undefined) => {
    if (root) settings = resolveSettings(options, root);
  };
  // webpack and Rspack drop `loc` from messages: put the location in the text there.
  const locationInText = meta.framework === "webpack" || meta.framework === "rspack";
  const message = (file: string, [first, ...more]: readonly Diagnostic[]): UnpluginMessage => ({
    message: [first!, ...more].map((d) => formatDiagnostic(d, locationInText ? file : undefined)).join("\n\n"),
    loc: { file, line: first!.line, column: first!.column },
    plugin: PLUGIN_NAME,
  });

  return {
    name: PLUGIN_NAME,
    // Vite: see the TypeScript source before its own TS stripping runs.
    enforce: "pre",
    transform: {
      filter: transformFilter(options),
      handler(code, id) {
        const file = id.replace(/[?#].*$/, "");
        const result = compileModule(code, file, settings);
        if (!result) return null;
        const error = checkDiagnostics(result.diagnostics, file, (warning) => this.warn(message(file, [warning])));
        // Some hosts record this.error and carry on (esbuild, webpack): leave the module untouched.
        if (error) return void this.error(message(file, error.errors));
        return { code: result.code, map: result.map };
      },
    },
    vite: { configResolved: (config) => useRoot(config.root) },
    webpack: (compiler) => useRoot(compiler.context),
    rspack: (compiler) => useRoot(compiler.context),
    esbuild: { config: (build) => useRoot(build.absWorkingDir) },
  };
};

export const durable = createUnplugin(unpluginFactory);
