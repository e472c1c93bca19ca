import { createFileFilter } from "./filter.js";
import { resolveAliases, type DurableOptions } from "./options.js";
import type { CompileSettings } from "./compile.js";

export interface ResolvedSettings extends CompileSettings {
  accepts(id: string): boolean;
}

/** Options + the bundler's project root → what every integration needs per module. */
export function resolveSettings(options: DurableOptions, bundlerRoot: string): ResolvedSettings {
  const root = options.root ?? bundlerRoot;
  return { root, aliases: resolveAliases(options.alias), accepts: createFileFilter(options.include, options.exclude, root) };
}
