/**
 * Which modules the compiler sees: unplugin's `transform.filter` — ids by include/exclude
 * (bundler queries such as `?v=…` ignored, virtual `\0` ids never), and texts that mention an
 * endpoint call or an aliased import. Bun and the Next.js loader, which are not unplugin
 * hooks, apply the same filter with {@link createFilter}.
 */
import path from "node:path";
import picomatch from "picomatch";
import { makeIdFiltersToMatchWithQuery } from "unplugin/utils/filter";
import { ENDPOINT_CALL, resolveAliases } from "@durable-endpoints/transform";
import type { DurableOptions, FilterPattern } from "./options.js";

const DEFAULT_INCLUDE = /\.[cm]?[jt]sx?$/;
const DEFAULT_EXCLUDE = /[\\/]node_modules[\\/]/;
const VIRTUAL = /^\0/;

type IdPattern = string | RegExp;

export interface TransformFilter {
  id: { include: IdPattern[]; exclude: IdPattern[] };
  code: { include: string[] };
}

export function transformFilter(options: DurableOptions): TransformFilter {
  const aliases = resolveAliases(options.alias);
  const ids = (pattern: FilterPattern) => makeIdFiltersToMatchWithQuery(toList(pattern).map((p) => (typeof p === "string" && options.root ? rooted(p, options.root) : p)));
  return {
    id: { include: ids(options.include ?? DEFAULT_INCLUDE), exclude: [...ids(options.exclude ?? DEFAULT_EXCLUDE), VIRTUAL] },
    code: { include: [ENDPOINT_CALL, ...[...aliases.keys()].flatMap((specifier) => [`"${specifier}"`, `'${specifier}'`])] },
  };
}

/** The filter as a predicate, with unplugin's semantics (relative globs resolve against the working directory). */
export function createFilter(filter: TransformFilter): (id: string, code: string) => boolean {
  const matchers = (patterns: IdPattern[]) => patterns.map(idMatcher);
  const include = matchers(filter.id.include);
  const exclude = matchers(filter.id.exclude);
  return (id, code) => {
    const file = id.replace(/\\/g, "/");
    return !exclude.some((m) => m(file)) && include.some((m) => m(file)) && filter.code.include.some((text) => code.includes(text));
  };
}

function idMatcher(pattern: IdPattern): (id: string) => boolean {
  if (pattern instanceof RegExp) {
    return (id) => {
      pattern.lastIndex = 0;
      return pattern.test(id);
    };
  }
  return picomatch(rooted(pattern, process.cwd()), { dot: true });
}

/** A relative glob is relative to `root`; `**…` and absolute globs match anywhere. */
function rooted(glob: string, root: string): string {
  if (glob.startsWith("**") || path.isAbsolute(glob)) return glob.replace(/\\/g, "/");
  const base = path.resolve(root).replace(/\\/g, "/").replace(/[\\^$*+?.()|[\]{}]/g, "\\$&");
  return `${base}/${glob.replace(/\\/g, "/").replace(/^\.\//, "")}`;
}

const toList = (p: FilterPattern): ReadonlyArray<IdPattern> => (typeof p === "string" || p instanceof RegExp ? [p] : p);
