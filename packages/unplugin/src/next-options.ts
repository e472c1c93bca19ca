import type { DurableOptions, FilterPattern } from "./options.js";

// Turbopack passes loader options as JSON: RegExp patterns travel as { source, flags }.
type SerializedPattern = string | { source: string; flags: string };

export interface LoaderOptions extends Omit<DurableOptions, "include" | "exclude"> {
  include?: SerializedPattern[];
  exclude?: SerializedPattern[];
}

const toList = (p: FilterPattern): ReadonlyArray<string | RegExp> => (typeof p === "string" || p instanceof RegExp ? [p] : p);

export function serializeOptions({ include, exclude, ...rest }: DurableOptions): LoaderOptions {
  const serialize = (p: FilterPattern) => toList(p).map((e) => (e instanceof RegExp ? { source: e.source, flags: e.flags } : e));
  return { ...rest, ...(include && { include: serialize(include) }), ...(exclude && { exclude: serialize(exclude) }) };
}

export function deserializeOptions({ include, exclude, ...rest }: LoaderOptions): DurableOptions {
  const deserialize = (list: SerializedPattern[]) => list.map((e) => (typeof e === "string" ? e : new RegExp(e.source, e.flags)));
  return { ...rest, ...(include && { include: deserialize(include) }), ...(exclude && { exclude: deserialize(exclude) }) };
}
