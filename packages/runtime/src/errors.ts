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

/**
 * Whether 500 bodies may carry the error's detail (name and message; the
 * stack too in development): only when NODE_ENV says development or test. In production — and where
 * NODE_ENV is unset, as on edge runtimes — they carry a generic message and
 * the run id; the detail goes to the logger.
 */
const nodeEnv = () => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV;
const showsDetail = () => nodeEnv() === "development" || nodeEnv() === "test";

/**
 * An HTTP error answer: the request cannot be served as sent (4xx), the
 * service cannot serve it now (503), or a run failed (500). `getResponse()`
 * is the one place the runtime's JSON error bodies are built.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: HeadersInit | undefined;
  /** the run a 500 belongs to, named in its body */
  readonly runId: string | undefined;
  /** more fields of the body's `error` object (e.g. the run id a client can act on) */
  readonly details: Record<string, unknown> | undefined;

  /** `name` is the body's error name (default "HttpError"). */
  constructor(
    status: number,
    message: string,
    options: { name?: string; headers?: HeadersInit; cause?: unknown; runId?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.name ?? "HttpError";
    this.status = status;
    this.headers = options.headers;
    this.runId = options.runId;
    this.details = options.details;
  }

  /** 500 for an error nobody caught: its detail in development, a generic body in production. */
  static internal(thrown: unknown, runId?: string): HttpError {
    const error = toError(thrown);
    return new HttpError(500, error.message, { name: error.name, cause: error, runId });
  }

  /** 503 + Retry-After: the store is unavailable, or the client is closing. */
  static unavailable(message: string): HttpError {
    return new HttpError(503, message, { name: "ServiceUnavailable", headers: { "Retry-After": "1" } });
  }

  /** `{ error: { name, message, …details } }` with this status and headers. */
  getResponse(): Response {
    if (this.status === 500 && !showsDetail()) {
      const where = this.runId === undefined ? "" : ` (run ${this.runId})`;
      const body = { name: "InternalServerError", message: `The endpoint failed; its log has the detail${where}`, runId: this.runId };
      return Response.json({ error: body }, { status: 500, headers: this.headers });
    }
    const body: { name: string; message: string; stack?: string } = { name: this.name, message: this.message, ...this.details };
    const stack = this.status >= 500 && this.cause instanceof Error ? this.cause.stack : undefined;
    if (stack && nodeEnv() === "development") body.stack = stack;
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
