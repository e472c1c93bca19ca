/** The seed's imports and the runtime modules they stand for, for every integration's `alias` option. */

export const DEFAULT_ALIASES: Readonly<Record<string, string>> = {
  inngest: "@durable-endpoints/runtime",
  "inngest/edge": "@durable-endpoints/runtime/edge",
};

/** `alias` option → specifier map: `true` = the defaults, a record adds to (or overrides) them, falsy = none. */
export function resolveAliases(alias: boolean | Readonly<Record<string, string>> | undefined): ReadonlyMap<string, string> {
  if (!alias) return new Map();
  const extra = alias === true ? {} : alias;
  return new Map(Object.entries({ ...DEFAULT_ALIASES, ...extra }));
}
