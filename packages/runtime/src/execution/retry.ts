/** When a failed step attempt runs again, and what its failure saves. */

import { MAX_SLEEP_MS, parseDuration, parseTime, wakeTime } from "../duration.js";
import { RetryAfterError } from "../errors.js";
import { failureOf, serialize } from "../serialize.js";
import type { Services } from "../services.js";

/** `RetryAfterError`'s time if valid, else exponential backoff with jitter. */
export function retryAt(error: Error, attempts: number, services: Services): number {
  const now = services.clock.now();
  if (error instanceof RetryAfterError) {
    const after = error.retryAfter;
    try {
      return wakeTime(after instanceof Date ? parseTime(after, "retryAfter") : now + parseDuration(after, "retryAfter"), now, "retryAfter");
    } catch (invalid) {
      services.logger.warn(`[durable] ${(invalid as Error).message}; using the default backoff`);
    }
  }
  const { initialMs, maxMs } = services.backoff;
  const exponential = Math.min(maxMs, initialMs * 2 ** (attempts - 1));
  return Math.ceil(now + Math.min(exponential, MAX_SLEEP_MS) * (0.5 + Math.random() * 0.5));
}

/**
 * The error as a step failure output (`failureOf`: its name, message and
 * cause), at most `maxBytes` characters (maxStateBytes): its cause is dropped
 * if it cannot be saved, then its message cut, when it is too long.
 */
export async function serializeError(error: Error, maxBytes: number): Promise<string> {
  let output: string;
  try {
    output = await serialize(failureOf(error));
  } catch {
    output = await serialize(bare(error, error.message));
  }
  // cut until it fits (escaping can make the serialized text longer than the message)
  let keep = Math.min(error.message.length, maxBytes);
  while (output.length > maxBytes && keep > 0) {
    output = await serialize(bare(error, `${error.message.slice(0, keep)}… (cut to fit maxStateBytes)`));
    keep = Math.max(0, keep - (output.length - maxBytes));
  }
  return output;
}

/** A plain Error with `error`'s name (cut to 100 characters) and `message`. */
const bare = (error: Error, message: string) => Object.assign(new Error(message), { name: String(error.name).slice(0, 100) });
