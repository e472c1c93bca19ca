export { transform, DEFAULT_IMPORT_SOURCES, type TransformOptions, type TransformResult, type EndpointMetadata } from "./transform.js";
export type { Diagnostic, Severity } from "./diagnostics.js";
export { durablePlugin as default, type PluginOptions } from "./plugin.js";
