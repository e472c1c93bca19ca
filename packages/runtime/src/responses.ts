/** The JSON responses the runtime itself produces (errors, status of a pending run). */

import type { Logger } from "./services.js";

const isDevelopment = () => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV === "development";

/** A JSON error body `{ error: { name, message } }` with the given status. */
export function jsonError(status: number, name: string, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { name, message } }, { status, headers });
}

/** 500 for an error the handler did not catch; the stack only in development. */
export function errorResponse(thrown: unknown, logger: Logger, runId: string): Response {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  logger.error(`[durable] run ${runId} failed:`, error);
  const body: { name: string; message: string; stack?: string } = { name: error.name, message: error.message };
  if (isDevelopment() && error.stack) body.stack = error.stack;
  return Response.json({ error: body }, { status: 500 });
}
