/** A path pattern: a glob (matched against the absolute path and the root-relative path) or a RegExp. */
export type FilterPattern = string | RegExp | ReadonlyArray<string | RegExp>;

/** Options accepted by every integration (Vite, Rollup, webpack, Rspack, esbuild, Bun, Next.js). */
export interface DurableOptions {
  /** Files to compile. Default: JS/TS modules (`.js .jsx .mjs .cjs .ts .tsx .mts .cts`). */
  include?: FilterPattern;
  /** Files never to compile. Default: anything under `node_modules`. */
  exclude?: FilterPattern;
  /**
   * Rewrite the seed's imports so its code compiles unchanged: `true` maps `"inngest"` →
   * `"@durable-endpoints/runtime"` and `"inngest/edge"` → `"@durable-endpoints/runtime/edge"`;
   * a map adds to (or overrides) those pairs. Default: off.
   */
  alias?: boolean | Readonly<Record<string, string>>;
  /** Project root that endpoint ids are relative to. Default: the bundler's root (or `process.cwd()`). */
  root?: string;
}

export const DEFAULT_ALIASES: Readonly<Record<string, string>> = {
  inngest: "@durable-endpoints/runtime",
  "inngest/edge": "@durable-endpoints/runtime/edge",
};

export function resolveAliases(alias: DurableOptions["alias"]): ReadonlyMap<string, string> {
  if (!alias) return new Map();
  const extra = alias === true ? {} : alias;
  return new Map(Object.entries({ ...DEFAULT_ALIASES, ...extra }));
}
