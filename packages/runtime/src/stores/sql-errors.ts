/**
 * A store error that says "try again later": the database is restarting,
 * unreachable or momentarily locked. Nothing was (knowingly) committed by the
 * failed call, and the last committed checkpoint is intact, so the engine can
 * abandon the attempt without consuming it and resume from that checkpoint.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  readonly retriable = true;
  constructor(store: string, cause: unknown) {
    super(`${store} store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
