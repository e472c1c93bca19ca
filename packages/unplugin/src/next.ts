import { fileURLToPath } from "node:url";
import { transformFilter } from "./filter.js";
import { serializeOptions } from "./next-options.js";
import type { DurableOptions } from "./options.js";

// Only the parts of Next's config that are touched here (no dependency on `next` types).
interface WebpackConfig { module?: { rules?: unknown[] } }
type WebpackFn = (config: WebpackConfig, context: unknown) => WebpackConfig;
type TurbopackRule = Record<string, unknown>;
export interface NextConfigLike {
  webpack?: WebpackFn | null;
  turbopack?: { rules?: Record<string, TurbopackRule | unknown[]>; [key: string]: unknown };
  [key: string]: unknown;
}

const LOADER = fileURLToPath(new URL("./next-loader.js", import.meta.url));
const SCRIPTS_GLOB = "**/*.{js,jsx,mjs,cjs,ts,tsx,mts,cts}";
const SCRIPTS_RE = /\.[cm]?[jt]sx?$/;

/** Turbopack runs JS loaders in workers: only send it files whose text passes the filter's code test. */
function mayNeedCompile(options: DurableOptions): RegExp {
  return new RegExp(transformFilter(options).code.include.map((text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"));
}

/**
 * Adds the durable-endpoints loader to a Next.js config, for Turbopack (`next dev`, `next build`)
 * and for webpack (`--webpack`), keeping the user's own `webpack` function and Turbopack rules.
 */
export function withDurable<T extends NextConfigLike>(
  nextConfig: T = {} as T,
  options: DurableOptions = {},
): T & { turbopack: NonNullable<NextConfigLike["turbopack"]>; webpack: WebpackFn } {
  const loader = { loader: LOADER, options: serializeOptions(options) };
  const rule = { condition: { all: [{ not: "foreign" }, { content: mayNeedCompile(options) }] }, loaders: [loader] };
  const rules = { ...nextConfig.turbopack?.rules };
  const existing = rules[SCRIPTS_GLOB];
  rules[SCRIPTS_GLOB] = existing === undefined ? rule : [...(Array.isArray(existing) ? existing : [existing]), rule];
  const userWebpack = nextConfig.webpack;

  return {
    ...nextConfig,
    turbopack: { ...nextConfig.turbopack, rules },
    webpack(config: WebpackConfig, context: unknown) {
      const result = userWebpack ? userWebpack(config, context) : config;
      result.module ??= {};
      result.module.rules ??= [];
      // "pre": run on the TypeScript source, before Next's SWC loader strips types.
      result.module.rules.push({ test: SCRIPTS_RE, exclude: /[\\/]node_modules[\\/]/, enforce: "pre", use: [loader] });
      return result;
    },
  };
}
