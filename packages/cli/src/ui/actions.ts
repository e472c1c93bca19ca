/**
 * What the inspector can do to runs, besides looking: send an event (through
 * the runtime's event delivery, exactly as `inngest.send` would) and wake a
 * run from a sleep or a retry backoff. Both only change the store; the app
 * instances serving the endpoint resume the runs that became due.
 *
 * Cancelling and retrying a run belong here too, once the runtime has them.
 */
import type { IncomingMessage } from "node:http";
import { sendEvents, type Store } from "@durable-endpoints/runtime";
import type { SendEventAnswer, SendEventRequest } from "./api.js";
import { ApiProblem } from "./queries.js";

/** Bodies of actions are small JSON documents. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function sendEvent(store: Store, req: IncomingMessage): Promise<SendEventAnswer> {
  const body = await readJson(req);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ApiProblem(400, 'send one event: { "name": "…", "data": { … } }');
  const { name, data, id } = body as Partial<SendEventRequest>;
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
