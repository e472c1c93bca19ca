import { readFile } from "node:fs/promises";
import { checkDiagnostics, formatDiagnostic } from "@durable-endpoints/transform";
import { compileModule, inlineSourceMap } from "./compile.js";
import { PLUGIN_NAME } from "./core.js";
import { createFilter, transformFilter } from "./filter.js";
import type { DurableOptions } from "./options.js";
import { resolveSettings } from "./settings.js";

// The slice of Bun's plugin API used here (Bun's own types need the `bun-types` package).
type BunLoader = "js" | "jsx" | "ts" | "tsx";
interface OnLoadArgs { path: string; namespace: string }
interface BunPluginBuilder {
  onLoad(
    options: { filter: RegExp; namespace?: string },
    callback: (args: OnLoadArgs) => Promise<{ contents: string; loader: BunLoader }>,
  ): unknown;
}
export interface BunPlugin { name: string; setup(build: BunPluginBuilder): void }

const SCRIPT = /\.[cm]?[jt]sx?$/;

function loaderFor(file: string): BunLoader {
  const ext = /\.[cm]?([jt]sx?)$/.exec(file)?.[1];
  return ext === "ts" || ext === "tsx" || ext === "jsx" ? ext : "js";
}

/**
 * Bun plugin for `Bun.build({ plugins })` and for `Bun.plugin()` in a bunfig.toml preload.
 * Written by hand rather than with unplugin's createBunPlugin: under a preload Bun calls
 * `onResolve` neither for bare imports nor asynchronously, so everything — the alias rewrite
 * included — happens in `onLoad`, which must always return contents.
 */
export default function durableBun(options: DurableOptions = {}): BunPlugin {
  return {
    name: PLUGIN_NAME,
    setup(build) {
      const settings = resolveSettings(options, process.cwd());
      const accepts = createFilter(transformFilter(options));
      build.onLoad({ filter: SCRIPT, namespace: "file" }, async ({ path }) => {
        const code = await readFile(path, "utf8");
        const loader = loaderFor(path);
        const result = accepts(path, code) ? compileModule(code, path, settings) : null;
        if (!result) return { contents: code, loader };
        const error = checkDiagnostics(result.diagnostics, path, (warning) => console.warn(`[${PLUGIN_NAME}] ${formatDiagnostic(warning, path)}`));
        if (error) throw error;
        return { contents: result.code + (result.map ? inlineSourceMap(result.map) : ""), loader };
      });
    },
  };
}
