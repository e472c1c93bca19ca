import { resolveAliases } from "@durable-endpoints/transform";
import type { CompileSettings } from "./compile.js";
import type { DurableOptions } from "./options.js";

/** Options + the bundler's project root → what compileModule needs. */
export function resolveSettings(options: DurableOptions, bundlerRoot: string): CompileSettings {
  return { root: options.root ?? bundlerRoot, aliases: resolveAliases(options.alias) };
}
