import { createUnplugin, type UnpluginFactory, type UnpluginMessage } from "unplugin";
import { compileModule, describeDiagnostic, formatDiagnostic, type CompileDiagnostic } from "./compile.js";
import type { DurableOptions } from "./options.js";
import { resolveSettings, type ResolvedSettings } from "./settings.js";

export const PLUGIN_NAME = "durable-endpoints";

/** The one factory behind the Vite, Rollup, webpack, Rspack and esbuild plugins. */
export const unpluginFactory: UnpluginFactory<DurableOptions | undefined, false> = (options = {}, meta) => {
  let settings: ResolvedSettings = resolveSettings(options, process.cwd());
  const useRoot = (root: string | undefined) => {
    if (root) settings = resolveSettings(options, root);
  };
  // webpack and Rspack drop `loc` from messages: put the location in the text there.
  const locationInText = meta.framework === "webpack" || meta.framework === "rspack";

  return {
    name: PLUGIN_NAME,
    // Vite: see the TypeScript source before its own TS stripping runs.
    enforce: "pre",
    transform(code, id) {
      if (!settings.accepts(id)) return null;
      const file = id.replace(/[?#].*$/, "");
      const result = compileModule(code, file, settings);
      if (!result) return null;
      for (const d of result.diagnostics) {
        const message = toMessage(d, file, locationInText);
        if (d.severity === "error") this.error(message);
        else this.warn(message);
      }
      // Some hosts record this.error and carry on (esbuild, webpack): leave the module untouched.
      if (result.diagnostics.some((d) => d.severity === "error")) return null;
      return { code: result.code, map: result.map };
    },
    vite: { configResolved: (config) => useRoot(config.root) },
    webpack: (compiler) => useRoot(compiler.context),
    rspack: (compiler) => useRoot(compiler.context),
    esbuild: { config: (build) => useRoot(build.absWorkingDir) },
  };
};

function toMessage(d: CompileDiagnostic, file: string, locationInText: boolean): UnpluginMessage {
  return {
    message: locationInText ? formatDiagnostic(d, file) : describeDiagnostic(d),
    loc: { file, line: d.line, column: d.column },
    plugin: PLUGIN_NAME,
  };
}

export const durable = createUnplugin(unpluginFactory);
