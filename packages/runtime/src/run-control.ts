/**
 * Run control on a store alone: cancel a run, retry a failed one. What the
 * client's `cancel` / `retry` do, and what a tool that holds only the store
 * (the `durable` CLI, an inspector) calls — no endpoint needs to be loaded:
 * - a cancelled run stops wherever it executes (its process notices at its
 *   next checkpoint or lease renewal) and is answered with the `409` below;
 * - a retried run is made due; whichever process serves its endpoint picks it
 *   up (its scheduler, a poll of the run, an `Idempotency-Key` re-attach).
 */

import { HttpError } from "./errors.js";
import { serializeMessage } from "./serialize.js";
import type { RunChange, Store } from "./store.js";

export interface CancelOptions {
  /** why, shown to whoever polls the run (at most 1,000 characters) */
  reason?: string;
}

export const MAX_CANCEL_REASON = 1000;

/**
 * Cancels a running or waiting run: a sleep or a wait stops at once (its
 * timers and waits are dropped), a step attempt in flight finishes and its
 * outcome is kept, nothing after it runs, and the handler's `req.signal`
 * aborts. Polls and `Idempotency-Key` re-attaches are then answered `409`
 * `{ error: { name: "RunCancelled", message, runId, reason, cancelledAt } }`.
 * Returns the run as it is now and whether this call cancelled it (false:
 * it had already finished — completed, failed or cancelled), or null for an
 * unknown run.
 */
export async function cancelRun(store: Store, runId: string, options: CancelOptions = {}, now = Date.now()): Promise<RunChange | null> {
  const reason = options.reason ?? null;
  if (reason !== null && (typeof reason !== "string" || reason.length > MAX_CANCEL_REASON)) {
    throw new TypeError(`cancel(): "reason" must be a string of at most ${MAX_CANCEL_REASON} characters`);
  }
  const response = cancelledResponse(runId, reason, now);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return store.cancelRun(runId, serializeMessage(response, bytes), now);
}

/**
 * Makes a failed run run again from where it failed: the steps that failed
 * for good get a fresh attempt budget, completed steps are not re-run, and the
 * run resumes at its last checkpointed state with the locals saved there
 * (replaying by step id when the deployed version differs). Returns the run
 * as it is now and whether this call changed it (false: it had not failed),
 * or null for an unknown run.
 */
export function retryRun(store: Store, runId: string, now = Date.now()): Promise<RunChange | null> {
  return store.retryRun(runId, now);
}

/** What a cancelled run answers: `409` with what a client needs to tell it from any other conflict. */
function cancelledResponse(runId: string, reason: string | null, now: number): Response {
  return new HttpError(409, reason === null ? "The run was cancelled" : `The run was cancelled: ${reason}`, {
    name: "RunCancelled",
    headers: { "Cache-Control": "no-store" },
    details: { runId, reason, cancelledAt: new Date(now).toISOString() },
  }).getResponse();
}
