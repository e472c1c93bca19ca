/**
 * What the inspector can do to runs, besides looking: send an event (through
 * the runtime's event delivery, exactly as `inngest.send` would), wake a run
 * from a sleep or a retry backoff, cancel a run, retry a failed one (the
 * runtime's `cancelRun` / `retryRun`, as `durable cancel` / `durable retry`).
 * All of them only change the store: the inspector runs no handlers. The app
 * instances serving the endpoint resume the runs that became due; one
 * executing a cancelled run stops at its next checkpoint or lease renewal.
 */
import type { IncomingMessage } from "node:http";
import { cancelRun, retryRun, sendEvents, type RunChange, type Store } from "@durable-endpoints/runtime";
import { cancelRefusal, retryRefusal } from "../run-control.js";
import type { CancelRequest, RunControlAnswer, SendEventAnswer, SendEventRequest } from "./api.js";
import { ApiProblem } from "./queries.js";

/** Bodies of actions are small JSON documents. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function sendEvent(store: Store, req: IncomingMessage): Promise<SendEventAnswer> {
  const { name, data, id } = await readObject<SendEventRequest>(req, 'send one event: { "name": "…", "data": { … } }');
  if (id !== undefined && (typeof id !== "string" || id === "")) throw new ApiProblem(400, '"id" must be a non-empty string (it deduplicates the event)');
  try {
    return await sendEvents(store, { name: name as string, ...(data !== undefined ? { data } : {}), ...(id !== undefined ? { id } : {}) });
  } catch (error) {
    if (error instanceof TypeError) throw new ApiProblem(400, error.message.replace(/^inngest\.send\(\): /, ""));
    throw error;
  }
}

export async function wakeRun(store: Store, runId: string): Promise<{ woken: true }> {
  if (await store.wakeRun(runId, Date.now())) return { woken: true };
  const run = await store.getRun(runId);
  if (!run) throw new ApiProblem(404, `no run ${runId} in this store`);
  throw new ApiProblem(
    409,
    run.status !== "waiting"
      ? `run ${runId} is ${run.status}: only a waiting run can be woken`
      : `run ${runId} is not sleeping or waiting for a retry (or an instance is executing it right now)`,
  );
}

/** Cancels a running or waiting run; cancelling a cancelled run again is no error (`changed: false`). */
export async function cancelRunAction(store: Store, runId: string, req: IncomingMessage): Promise<RunControlAnswer> {
  const { reason } = await readObject<CancelRequest>(req, 'send { "reason": "…" } or {}');
  if (reason !== undefined && typeof reason !== "string") throw new ApiProblem(400, '"reason" must be a string');
  let change: RunChange | null;
  try {
    change = await cancelRun(store, runId, reason === undefined || reason.trim() === "" ? {} : { reason: reason.trim() });
  } catch (error) {
    if (error instanceof TypeError) throw new ApiProblem(400, error.message.replace(/^cancel\(\): /, ""));
    throw error;
  }
  return controlled(runId, change, (run) => (run.status === "cancelled" ? null : cancelRefusal(run)));
}

/** Marks a failed run due again; a process serving its endpoint runs it from where it failed. */
export async function retryRunAction(store: Store, runId: string, req: IncomingMessage): Promise<RunControlAnswer> {
  await readObject(req, "send {}");
  return controlled(runId, await retryRun(store, runId), retryRefusal);
}

/** The answer to a cancel or retry: 404 for an unknown run, 409 with `refusal` when the call could not change it. */
function controlled(runId: string, change: RunChange | null, refusal: (run: RunChange["run"]) => string | null): RunControlAnswer {
  if (!change) throw new ApiProblem(404, `no run ${runId} in this store`);
  const refused = change.changed ? null : refusal(change.run);
  if (refused !== null) throw new ApiProblem(409, refused);
  return { runId: change.run.id, status: change.run.status, changed: change.changed };
}

async function readObject<T extends object = Record<string, never>>(req: IncomingMessage, expected: string): Promise<Partial<T>> {
  const body = await readJson(req);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ApiProblem(400, expected);
  return body as Partial<T>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiProblem(413, `the body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ApiProblem(400, "the body is not valid JSON");
  }
}
