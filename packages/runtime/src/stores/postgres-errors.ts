/** Which Postgres failures are transient (worth retrying from the last checkpoint) rather than bugs. */
import { StoreUnavailableError } from "./sql-errors.js";

const TRANSIENT_SQLSTATES = new Set([
  "57P01", // admin_shutdown: the server is restarting
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or shutting down
  "53300", // too_many_connections
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

const TRANSIENT_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    // SQLSTATE class 08: connection exceptions.
    return TRANSIENT_SQLSTATES.has(code) || code.startsWith("08") || TRANSIENT_SOCKET_CODES.has(code);
  }
  // pg reports dropped connections and pool timeouts without a code.
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(error.message);
}

/** Rethrow transient failures as {@link StoreUnavailableError}; others unchanged. */
export function classify(error: unknown): unknown {
  return isTransient(error) ? new StoreUnavailableError("postgres", error) : error;
}
