import { checkDiagnostics, formatDiagnostic } from "@durable-endpoints/transform";
import { compileModule, type CompileSettings, type SourceMapV3 } from "./compile.js";
import { createFilter, transformFilter } from "./filter.js";
import { deserializeOptions, type LoaderOptions } from "./next-options.js";
import { resolveSettings } from "./settings.js";

// The part of the webpack loader API that both webpack and Turbopack implement.
interface LoaderContext {
  resourcePath: string;
  rootContext?: string;
  getOptions(): LoaderOptions;
  emitWarning(error: Error): void;
  callback(error: Error | null, code?: string, map?: SourceMapV3 | string | null): void;
}

interface Loader {
  settings: CompileSettings;
  accepts(file: string, code: string): boolean;
}

const cache = new WeakMap<object, Loader>();

/** webpack / Turbopack loader used by `withDurable` (Next.js). */
export default function durableLoader(this: LoaderContext, code: string, inputMap?: SourceMapV3 | string | null): void {
  const options = this.getOptions();
  let loader = cache.get(options);
  if (!loader) {
    const durableOptions = deserializeOptions(options);
    loader = { settings: resolveSettings(durableOptions, this.rootContext || process.cwd()), accepts: createFilter(transformFilter(durableOptions)) };
    cache.set(options, loader);
  }
  const file = this.resourcePath;
  try {
    const result = loader.accepts(file, code) ? compileModule(code, file, loader.settings) : null;
    if (!result) return this.callback(null, code, inputMap);
    const error = checkDiagnostics(result.diagnostics, file, (warning) => this.emitWarning(new Error(formatDiagnostic(warning, file))));
    if (error) return this.callback(error);
    this.callback(null, result.code, result.map);
  } catch (error) {
    this.callback(error as Error);
  }
}
