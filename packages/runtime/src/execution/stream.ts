/**
 * The final Response of an execution when its body streams: the head goes to
 * the store first (a new stream generation), then the body is read from the
 * handler and persisted in batches as it comes — one write in flight, the
 * bytes produced meanwhile coalesced into the next, at most PENDING_BYTES
 * waiting before the handler's body is read any further — while followers in
 * this process read the fresh bytes from memory (stream/live.ts). At its end
 * the run completes with a result that points at the stream.
 *
 * A body that is complete without waiting (Response.json, a string, bytes)
 * and small is not streamed, unless it is an event stream: it is stored with
 * the run as before.
 */

import { serializeMessage, serializeStreamedResponse } from "../serialize.js";
import type { Store } from "../store.js";
import { LiveStream } from "../stream/live.js";
import { concat, isEventStream, SseIdAssigner } from "../stream/sse.js";
import { LOST, type Checkpoints } from "./checkpoints.js";

/** A body complete within one turn of the event loop and at most this large is stored with the run. */
const BUFFER_LIMIT = 1024 * 1024;
/** The largest chunk written to the store at once. */
const CHUNK_BYTES = 256 * 1024;
/** Bytes produced but not yet persisted, past which the handler's body is not read further. */
const PENDING_BYTES = 1024 * 1024;

type Read = Promise<ReadableStreamReadResult<Uint8Array>>;

/** A body read as far as it goes without waiting: all of it, or its beginning and the rest to read. */
export type AvailableBody =
  | { complete: true; bytes: Uint8Array }
  | { complete: false; chunks: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array>; next: Read | null };

const TURN = Symbol("turn");
/** Resolves after the current turn of the event loop (not a wait for time). */
const afterTurn = () =>
  new Promise<typeof TURN>((resolve) => (typeof setImmediate === "function" ? setImmediate : setTimeout)(() => resolve(TURN)));

/**
 * Reads what a Response's body holds without waiting for its producer
 * (rejects when the body fails). An event stream is always streamed, so its
 * events get ids however fast they come: nothing is read.
 */
export async function readAvailable(response: Response & { body: ReadableStream<Uint8Array> }): Promise<AvailableBody> {
  const reader = response.body.getReader();
  if (isEventStream(response.headers)) return { complete: false, chunks: [], reader, next: null };
  const turn = afterTurn();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = reader.read();
    const result = await Promise.race([next, turn]);
    if (result === TURN) return { complete: false, chunks, reader, next };
    if (result.done) return { complete: true, bytes: chunks.length === 1 ? chunks[0]! : concat(chunks, size) };
    const chunk = checkChunk(result.value);
    chunks.push(chunk);
    size += chunk.length;
    if (size > BUFFER_LIMIT) return { complete: false, chunks, reader, next: null };
  }
}

function checkChunk(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  const what = chunk === null ? "null" : typeof chunk === "object" ? (chunk.constructor?.name ?? "an object") : typeof chunk;
  throw new TypeError(`A Response body must produce Uint8Array chunks (got ${what}); encode text with TextEncoder or TextEncoderStream`);
}

export class StreamProducer {
  readonly head: string;
  readonly sse: boolean;
  private live: LiveStream | null = null;
  private generation = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private produced = 0;
  private persisted = 0;
  private writing: Promise<void> | null = null;
  private failure: unknown = undefined;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private readonly checkpoints: Checkpoints,
    response: Response,
    private readonly body: Extract<AvailableBody, { complete: false }>,
  ) {
    this.head = serializeMessage(response, null);
    this.sse = isEventStream(response.headers);
  }

  /** Writes the head: the stream's generation, or null when the run is no longer ours (throws LOST when the store fails). */
  async begin(): Promise<number | null> {
    let generation: number | null;
    try {
      generation = await this.store.beginStream(this.runId, this.checkpoints.fence, this.head);
    } catch (error) {
      this.checkpoints.storeFailed(error, "the head of the streamed response could not be stored");
    }
    if (generation === null) return null;
    this.generation = generation;
    this.live = new LiveStream(this.runId, generation);
    return generation;
  }

  /** Stops reading the handler's body (the run is lost). */
  stop(): void {
    this.body.reader.cancel().catch(() => {});
  }

  /**
   * Reads, persists and completes the body. Never rejects: when the run is
   * lost it just stops; when the handler's body fails (or the store fails in
   * a way that would recur), `fail` makes the run fail.
   */
  async produce(fail: (error: unknown) => Promise<unknown>): Promise<void> {
    const live = this.live!;
    const ids = this.sse ? new SseIdAssigner(this.generation) : null;
    const { reader } = this.body;
    try {
      for (const chunk of this.body.chunks) await this.accept(chunk, ids);
      let next = this.body.next ?? reader.read();
      for (;;) {
        const result = await next;
        if (this.checkpoints.lost || this.checkpoints.cancelled) throw LOST;
        if (result.done) break;
        await this.accept(checkChunk(result.value), ids);
        next = reader.read();
      }
      for (const piece of ids?.end() ?? []) this.queue(piece);
      this.kick();
      await this.flush();
      const result = serializeStreamedResponse({ head: this.head, generation: this.generation, size: this.produced });
      await this.checkpoints.write({ run: { status: "completed", result, wakeAt: null }, releaseLease: true }, { withState: false });
      live.end();
    } catch (error) {
      live.lose();
      reader.cancel().catch(() => {});
      const { failure, lost, cancelled } = this.checkpoints;
      if (lost || cancelled || (error === LOST && !failure)) return;
      await fail(failure ?? error).catch(() => {}); // failing lost the run: nothing more to do
    }
  }

  private async accept(chunk: Uint8Array, ids: SseIdAssigner | null): Promise<void> {
    for (const piece of ids ? ids.push(chunk) : [chunk]) this.queue(piece);
    this.kick();
    while (this.pendingBytes > PENDING_BYTES && this.writing) await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Hands bytes to the followers here and to the write queue, in chunks of at most CHUNK_BYTES. */
  private queue(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      const piece = bytes.subarray(at, at + CHUNK_BYTES);
      this.live!.push(piece);
      this.pending.push(piece);
      this.pendingBytes += piece.length;
      this.produced += piece.length;
    }
  }

  /**
   * Starts writing unless a write is in flight (it takes what was queued
   * meanwhile when it is done). Less than a full chunk waits for the end of
   * this turn of the event loop: what the handler produces at once goes in one
   * write, and the clients following here get their bytes first.
   */
  private kick(): void {
    if (this.writing || this.pendingBytes === 0 || this.failure !== undefined) return;
    const ready = this.pendingBytes >= CHUNK_BYTES ? Promise.resolve() : afterTurn();
    this.writing = ready
      .then(() => this.writeQueued())
      .catch((error: unknown) => void (this.failure = error))
      .finally(() => {
        this.writing = null;
        this.kick();
      });
  }

  private async writeQueued(): Promise<void> {
    while (this.pendingBytes > 0) {
      const batch = this.takeBatch();
      let ok: boolean;
      try {
        ok = await this.store.appendStream(this.runId, this.checkpoints.fence, this.generation, this.persisted, batch);
      } catch (error) {
        this.checkpoints.storeFailed(error, "a chunk of the streamed response could not be stored");
      }
      if (!ok) {
        await this.checkpoints.refused(); // cancelled, or someone else's now
        throw LOST;
      }
      this.persisted += batch.length;
      this.live!.persistedUpTo(this.persisted);
    }
  }

  /** Queued pieces joined up to CHUNK_BYTES. */
  private takeBatch(): Uint8Array {
    let count = 0;
    let size = 0;
    while (count < this.pending.length && size + this.pending[count]!.length <= CHUNK_BYTES) size += this.pending[count++]!.length;
    count = Math.max(count, 1);
    const parts = this.pending.splice(0, count);
    const batch = parts.length === 1 ? parts[0]! : concat(parts, size);
    this.pendingBytes -= batch.length;
    return batch;
  }

  private async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }
}
