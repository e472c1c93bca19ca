/** A path pattern: a glob (relative ones are relative to `root`, default the working directory) or a RegExp of the absolute path. */
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
