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

const isDevelopment = () => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV === "development";

/**
 * An HTTP error answer: the request cannot be served as sent (4xx), the
 * service cannot serve it now (503), or a run failed (500). `getResponse()`
 * is the one place the runtime's JSON error bodies are built.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: HeadersInit | undefined;

  /** `name` is the body's error name (default "HttpError"). */
  constructor(status: number, message: string, options: { name?: string; headers?: HeadersInit; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.name ?? "HttpError";
    this.status = status;
    this.headers = options.headers;
  }

  /** 500 for an error the handler did not catch: its name and message (and, in development, its stack). */
  static internal(thrown: unknown): HttpError {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    return new HttpError(500, error.message, { name: error.name, cause: error });
  }

  /** `{ error: { name, message } }` with this status and headers. */
  getResponse(): Response {
    const body: { name: string; message: string; stack?: string } = { name: this.name, message: this.message };
    const stack = this.status >= 500 && this.cause instanceof Error ? this.cause.stack : undefined;
    if (stack && isDevelopment()) body.stack = stack;
    return Response.json({ error: body }, { status: this.status, headers: this.headers });
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
