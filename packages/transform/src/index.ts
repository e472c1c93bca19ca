export {
  transform,
  mayContainEndpoint,
  ENDPOINT_CALL,
  DEFAULT_IMPORT_SOURCES,
  type TransformOptions,
  type TransformResult,
  type EndpointMetadata,
} from "./transform.js";
export type { LineRange, StateDescription, StateStep } from "./phases/3-lower/metadata.js";
export { stateRows, type StateRow } from "./state-table.js";
export type { Diagnostic, Severity } from "./diagnostics.js";
export { checkDiagnostics, CompileError, formatDiagnostic } from "./host-diagnostics.js";
export { DEFAULT_ALIASES, resolveAliases } from "./aliases.js";
export { durablePlugin as default, type PluginOptions } from "./plugin.js";
