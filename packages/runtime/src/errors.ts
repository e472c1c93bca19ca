/** Errors users throw from steps, and the one they catch when a step gives up. */

import type { Duration } from "./types.js";

/** Throw from a step to fail it at once, without retries. */
export class NonRetriableError extends Error {
  override name = "NonRetriableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Throw from a step to retry it at a precise time: `retryAfter` is milliseconds
 * (number), a duration string ("30s", "1h30m") or a `Date`.
 */
export class RetryAfterError extends Error {
  override name = "RetryAfterError";
  readonly retryAfter: Duration | Date;
  constructor(message: string, retryAfter: Duration | Date, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAfter = retryAfter;
  }
}

/**
 * What the handler sees at a step's `await` once the step failed for good
 * (retries exhausted or NonRetriableError): `message` is the original error's
 * message, `cause` the original error (name and message preserved).
 */
export class StepError extends Error {
  override name = "StepError";
  readonly stepId: string;
  constructor(stepId: string, cause: Error) {
    super(cause.message, { cause });
    this.stepId = stepId;
  }
}

/** The request cannot be served as sent: becomes a 4xx with a JSON error body. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** `thrown` as an Error (a thrown string keeps its text as the message). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : `Non-error thrown: ${describeValue(thrown)}`);
}

/** A value named for an error message: `"text"`, `42`, `undefined`, or its class name. */
export function describeValue(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value === "string" ? JSON.stringify(value) : String(value);
  return value.constructor?.name ?? "object";
}
