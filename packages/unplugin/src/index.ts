export { durable, unpluginFactory, PLUGIN_NAME } from "./core.js";
export { compileModule, describeDiagnostic, formatDiagnostic, type CompiledModule, type CompileDiagnostic, type SourceMapV3 } from "./compile.js";
export { DEFAULT_ALIASES, resolveAliases, type DurableOptions, type FilterPattern } from "./options.js";
