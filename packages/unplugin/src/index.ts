export { durable, unpluginFactory, PLUGIN_NAME } from "./core.js";
export { compileModule, type CompiledModule, type SourceMapV3 } from "./compile.js";
export type { DurableOptions, FilterPattern } from "./options.js";
