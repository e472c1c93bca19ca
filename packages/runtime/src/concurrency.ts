/**
 * Concurrency limits of an endpoint (`inngest.endpoint(handler, { concurrency })`):
 * the options checked when the endpoint is created, and the key of a new run.
 * The stores enforce the limit (see `RunConcurrency` in store.ts).
 */

import type { RunConcurrency } from "./store.js";
import type { ConcurrencyOptions, EndpointOptions } from "./types.js";

/** An endpoint's limit, checked. */
export interface EndpointConcurrency {
  readonly limit: number;
  readonly key: NonNullable<ConcurrencyOptions["key"]> | null;
}

/** A key longer than this is refused: stores index keys, and a key is an id, not a document. */
export const MAX_CONCURRENCY_KEY = 1024;

const shown = (value: unknown) => (typeof value === "string" ? JSON.stringify(value) : typeof value === "function" ? "a function" : String(value));

/** The endpoint's concurrency limit, or null; a clear TypeError for an invalid option. */
export function endpointConcurrency(options: EndpointOptions | undefined): EndpointConcurrency | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== "object") throw new TypeError(`inngest.endpoint(): options must be an object (got ${shown(options)})`);
  const { concurrency } = options;
  if (concurrency === undefined) return null;
  if (concurrency === null || typeof concurrency !== "object") {
    throw new TypeError(`inngest.endpoint(): concurrency must be an object such as { limit: 2, key: (req) => userId } (got ${shown(concurrency)})`);
  }
  const { limit, key } = concurrency;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1) {
    throw new TypeError(`inngest.endpoint(): concurrency.limit must be a positive integer (got ${shown(limit)})`);
  }
  if (key !== undefined && typeof key !== "function") {
    throw new TypeError(
      `inngest.endpoint(): concurrency.key must be a function of the request, such as (req) => req.headers.get("x-user-id") (got ${shown(key)}; Inngest's key expressions are not supported)`,
    );
  }
  return { limit, key: key ?? null };
}

/**
 * A new run's slot key and limit. `req` is a copy the key function may read
 * (body included). A key function that throws, or returns anything but a
 * string or a finite number, is the endpoint's bug: an Error saying so (500).
 */
export async function runConcurrency(endpointId: string, limit: EndpointConcurrency | null, req: () => Request): Promise<RunConcurrency | null> {
  if (limit === null) return null;
  if (limit.key === null) return { key: "", limit: limit.limit };
  let value: unknown;
  try {
    value = await limit.key(req());
  } catch (error) {
    throw new Error(`The concurrency key function of endpoint "${endpointId}" threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!(typeof value === "string" || (typeof value === "number" && Number.isFinite(value)))) {
    throw new TypeError(`The concurrency key function of endpoint "${endpointId}" returned ${shown(value)}; it must return a string or a number`);
  }
  const key = String(value);
  if (key.length > MAX_CONCURRENCY_KEY) {
    throw new TypeError(`The concurrency key function of endpoint "${endpointId}" returned a key of ${key.length} characters; at most ${MAX_CONCURRENCY_KEY} are allowed`);
  }
  return { key, limit: limit.limit };
}
