/**
 * Which Postgres failures are transient (worth retrying from the last
 * checkpoint) and which will recur (invalid data for the store, a value out of
 * range, a bug: retrying would only re-run the same steps).
 */
import { StoreUnavailableError } from "./sql-errors.js";

/** SQLSTATE classes that say "not now": the same statement may well succeed later. */
const TRANSIENT_CLASSES = [
  "08", // connection exception
  "40", // transaction rollback: serialization failure, deadlock
  "53", // insufficient resources: too many connections, disk full, out of memory
  "57", // operator intervention: shutting down or restarting, statement timeout, query canceled
  "58", // system error: I/O
];
const TRANSIENT_SQLSTATES = new Set(["55P03"]); // lock_not_available

const TRANSIENT_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    return TRANSIENT_SQLSTATES.has(code) || TRANSIENT_CLASSES.includes(code.slice(0, 2)) || TRANSIENT_SOCKET_CODES.has(code);
  }
  // pg reports dropped connections and pool timeouts without a code.
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(error.message);
}

/** Rethrow transient failures as {@link StoreUnavailableError}; others unchanged. */
export function classify(error: unknown): unknown {
  return isTransient(error) ? new StoreUnavailableError("postgres", error) : error;
}
