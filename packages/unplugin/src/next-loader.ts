import { compileModule, formatDiagnostic, type SourceMapV3 } from "./compile.js";
import { deserializeOptions, type LoaderOptions } from "./next-options.js";
import { resolveSettings, type ResolvedSettings } from "./settings.js";

// The part of the webpack loader API that both webpack and Turbopack implement.
interface LoaderContext {
  resourcePath: string;
  rootContext?: string;
  getOptions(): LoaderOptions;
  emitWarning(error: Error): void;
  callback(error: Error | null, code?: string, map?: SourceMapV3 | string | null): void;
}

const cache = new WeakMap<object, ResolvedSettings>();

/** webpack / Turbopack loader used by `withDurable` (Next.js). */
export default function durableLoader(this: LoaderContext, code: string, inputMap?: SourceMapV3 | string | null): void {
  const options = this.getOptions();
  let settings = cache.get(options);
  if (!settings) cache.set(options, (settings = resolveSettings(deserializeOptions(options), this.rootContext || process.cwd())));
  const file = this.resourcePath;
  try {
    const result = settings.accepts(file) ? compileModule(code, file, settings) : null;
    if (!result) return this.callback(null, code, inputMap);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    for (const d of result.diagnostics) if (d.severity !== "error") this.emitWarning(new Error(formatDiagnostic(d, file)));
    if (errors.length > 0) return this.callback(new Error(errors.map((d) => formatDiagnostic(d, file)).join("\n\n")));
    this.callback(null, result.code, result.map);
  } catch (error) {
    this.callback(error as Error);
  }
}
