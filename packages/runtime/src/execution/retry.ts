/** When a failed step attempt runs again, and what its failure saves. */

import { parseDuration, parseTime } from "../duration.js";
import { RetryAfterError } from "../errors.js";
import { serialize } from "../serialize.js";
import type { Services } from "../services.js";

/** `RetryAfterError`'s time if valid, else exponential backoff with jitter. */
export function retryAt(error: Error, attempts: number, services: Services): number {
  const now = services.clock.now();
  if (error instanceof RetryAfterError) {
    const after = error.retryAfter;
    try {
      return after instanceof Date ? parseTime(after) : now + parseDuration(after, "retryAfter");
    } catch (invalid) {
      services.logger.warn(`[durable] ${(invalid as Error).message}; using the default backoff`);
    }
  }
  const { initialMs, maxMs } = services.backoff;
  const exponential = Math.min(maxMs, initialMs * 2 ** (attempts - 1));
  return now + Math.round(exponential * (0.5 + Math.random() * 0.5));
}

/** The error as a step failure output; its cause is dropped if it cannot be saved. */
export async function serializeError(error: Error): Promise<string> {
  try {
    return await serialize(error);
  } catch {
    return serialize(Object.assign(new Error(error.message), { name: error.name }));
  }
}
