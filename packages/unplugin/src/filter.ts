import path from "node:path";
import picomatch from "picomatch";
import type { FilterPattern } from "./options.js";

const DEFAULT_INCLUDE = /\.[cm]?[jt]sx?$/;
const DEFAULT_EXCLUDE = /[\\/]node_modules[\\/]/;

type Matcher = (file: string) => boolean;

function toMatchers(pattern: FilterPattern, root: string): Matcher[] {
  const list: ReadonlyArray<string | RegExp> = typeof pattern === "string" || pattern instanceof RegExp ? [pattern] : pattern;
  return list.map((entry): Matcher => {
    if (entry instanceof RegExp) return (file) => { entry.lastIndex = 0; return entry.test(file); };
    const glob = picomatch(entry, { dot: true });
    return (file) => glob(file) || glob(path.relative(root, file).split(path.sep).join("/"));
  });
}

/** `(id) => boolean` for the include/exclude options; bundler queries (`?v=…`) are ignored. */
export function createFileFilter(include: FilterPattern | undefined, exclude: FilterPattern | undefined, root: string) {
  const included = toMatchers(include ?? DEFAULT_INCLUDE, root);
  const excluded = toMatchers(exclude ?? DEFAULT_EXCLUDE, root);
  return (id: string): boolean => {
    const file = id.replace(/[?#].*$/, "");
    return !file.startsWith("\0") && included.some((m) => m(file)) && !excluded.some((m) => m(file));
  };
}
