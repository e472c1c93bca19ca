/**
 * Wraps a Store to observe checkpoints from the outside: how many, when, and
 * how many bytes each one hands to the store. Used for the physical-limit
 * baseline (P2 replays the same bytes), checkpoint size (P5) and per-step
 * timing of long runs (P6) without touching the runtime.
 */
import { time } from "./harness.mjs";

/** Bytes a checkpoint asks the store to persist: UTF-8 of every string field, 8 per number. */
function checkpointBytes(value) {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number") return 8;
  if (value === null || typeof value !== "object") return 0;
  let bytes = 0;
  for (const field of Object.values(value)) bytes += checkpointBytes(field);
  return bytes;
}

/** The serialized payload of a checkpoint as one string (what a single raw write stores). */
function checkpointPayload(cp) {
  return JSON.stringify([cp.step?.id, cp.step?.status, cp.step?.output, cp.run.state, cp.run.locals ?? cp.run.localsEdit, cp.run.counters]);
}

/**
 * @param {import("@durable-endpoints/runtime").Store} store
 * @param {{ keepPayloads?: boolean, markEvery?: number }} [options]
 *   markEvery: record a timestamp at the first checkpoint and every N-th one (P6).
 */
export function recordingStore(store, { keepPayloads = false, markEvery = 0 } = {}) {
  const log = { count: 0, bytes: [], payloads: [], checkpoints: [], marks: [] };
  const checkpoint = async (cp) => {
    const ok = await store.checkpoint(cp);
    log.count++;
    if (markEvery > 0) {
      if (log.count === 1 || log.count % markEvery === 0) log.marks.push(performance.now());
    } else {
      log.bytes.push(checkpointBytes(cp));
      if (keepPayloads) {
        log.payloads.push(checkpointPayload(cp));
        log.checkpoints.push(cp);
      }
    }
    return ok;
  };
  const wrapped = new Proxy(store, {
    get(target, key) {
      if (key === "checkpoint") return checkpoint;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, log };
}

/** Replays recorded checkpoints against a new run of `store`: the store's own cost, no engine. */
export function replayCheckpoints(store, checkpoints) {
  let runs = 0;
  return async () => {
    const template = await store.getRun(checkpoints[0].runId);
    const id = `${template.id}-replayed-${++runs}`;
    const now = Date.now();
    // Created leased, as a request's own run is: a scheduler over the same store (P2's long-lived clients) would
    // otherwise claim it as an orphan before we lease it. As the recorded run was created: its checkpoints'
    // locals edits apply to the text they were made from.
    const fence = 1;
    await store.createRun({
      ...template, id, idempotencyKey: null, status: "running", result: null, leaseOwner: "bench", leaseExpiresAt: now + 60_000, fence,
      locals: null, state: 0, counters: null,
    });
    return time(async () => {
      for (const cp of checkpoints) {
        const ok = await store.checkpoint({ ...cp, runId: id, fence, step: cp.step && { ...cp.step, runId: id } });
        if (!ok) throw new Error("store-only replay: checkpoint rejected");
      }
    });
  };
}
