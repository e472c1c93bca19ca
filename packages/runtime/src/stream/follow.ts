/**
 * Following a run's streamed response: the body a client receives, inline or
 * through the poll URL. Bytes come from the in-memory tail when this process
 * produces the stream (stream/live.ts), else from the store, read a few
 * chunks at a time (bounded memory) and woken by the store's change
 * notifications (other processes: SQLite's data_version poll, Postgres
 * LISTEN/NOTIFY). The body is pulled: a slow client slows only itself.
 *
 * When the stream being followed is replaced (its producer died and a new
 * execution streams again, or the run ended otherwise), an SSE follower sends
 * a `durable-restart` event and then the new stream from its beginning; a
 * bytes follower ends its body with an error (the connection is cut), so the
 * client never receives a spliced body.
 */

import type { Clock } from "../clock.js";
import { deserialize, streamedResponse } from "../serialize.js";
import { isFinished, type RunRecord, type Store, type StreamChunk } from "../store.js";
import { liveStream } from "./live.js";
import { concat, eventFields, isEventStream, restartEvent, SseBlocks } from "./sse.js";

/** Chunks read from the store at once (each at most the producer's chunk size). */
const STORE_READ_CHUNKS = 4;
/** Bytes taken from the in-memory tail at once. */
const LIVE_READ_BYTES = 256 * 1024;
/** Small parts are joined up to this size before they are handed to the client. */
const JOIN_BYTES = 64 * 1024;

export interface FollowContext {
  store: Store;
  clock: Clock;
  runId: string;
  /** aborted when the client closes: the body ends with an error */
  closing: AbortSignal;
  /** subscribes to the run's changes now: `done` resolves on a change, after `ms`, when `signal` aborts or the client closes */
  waitForChange(ms: number, signal: AbortSignal): { done: Promise<void>; cancel(): void };
  /** called while no bytes come: lets the run move on (take over a dead producer); returns when to look again */
  idle(run: RunRecord): number | null;
  /** the longest wait between two looks at the run */
  maxWaitMs: number;
}

export interface FollowFrom {
  generation: number;
  offset: number;
  sse: boolean;
  /** the stream is complete with this many bytes */
  size?: number;
  /** stop at this offset (a Range with a last byte); the body fails if the stream ends before */
  until?: number;
  /** SSE: resume after the event with this id (`Last-Event-ID`); `offset` is where it is expected to start */
  afterEvent?: string;
  /** SSE: begin with a `durable-restart` event (the client's Last-Event-ID belongs to a replaced stream) */
  restart?: boolean;
}

/** The body of a streamed response, followed from `from`. */
export function followBody(ctx: FollowContext, from: FollowFrom): ReadableStream<Uint8Array> {
  const follower = new Follower(ctx, from);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const bytes = await follower.next();
          if (bytes === null) controller.close();
          else controller.enqueue(bytes);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: () => follower.cancel(),
    },
    { highWaterMark: 0 },
  );
}

export class StreamReplacedError extends Error {
  override name = "StreamReplacedError";
}

type Raw = { bytes: Uint8Array } | { end: true } | { replaced: { generation: number; head: string } | null } | { again: true };

/** Skipping SSE events up to and including the one a client saw last. */
class EventSkip {
  private blocks = new SseBlocks();

  /** `position`: the stream offset of the first byte that will be fed. */
  constructor(
    readonly id: string,
    /** the event must be the first one fed (else the stream is scanned from its start) */
    readonly exact: boolean,
    private position: number,
  ) {}

  /**
   * Feeds bytes that start at the current position. Returns the bytes after
   * the event once it is found, null while still looking, "rescan" when the
   * event is not where it was expected.
   */
  feed(bytes: Uint8Array): Uint8Array | null | "rescan" {
    const start = this.position;
    for (const block of this.blocks.push(bytes)) {
      this.position += block.bytes.length;
      // the event ends within `bytes` (a block is complete only once its blank line was fed)
      if (block.complete && eventFields(block.bytes).id === this.id) return bytes.subarray(this.position - start);
      if (this.exact) return "rescan";
    }
    return null;
  }
}

class Follower {
  private generation: number;
  private offset: number;
  private readonly sse: boolean;
  private size: number | undefined;
  private readonly until: number | undefined;
  private skip: EventSkip | null = null;
  /** bytes read past the ones handed out (`offset` counts them as read) */
  private queue: Uint8Array[] = [];
  private restartFirst: boolean;
  private readonly cancelled = new AbortController();

  constructor(
    private readonly ctx: FollowContext,
    from: FollowFrom,
  ) {
    this.generation = from.generation;
    this.offset = from.offset;
    this.sse = from.sse;
    this.size = from.size;
    this.until = from.until;
    this.restartFirst = from.restart === true;
    if (from.afterEvent !== undefined) this.skip = new EventSkip(from.afterEvent, true, from.offset);
  }

  cancel(): void {
    this.cancelled.abort();
  }

  /** The next bytes for the client; null at the end. */
  async next(): Promise<Uint8Array | null> {
    if (this.restartFirst) {
      this.restartFirst = false;
      return restartEvent(this.ctx.runId, this.generation);
    }
    for (;;) {
      const raw = await this.raw();
      if ("again" in raw) continue;
      if ("end" in raw) {
        if (this.until !== undefined && this.offset < this.until) throw new StreamReplacedError(`The stream of run ${this.ctx.runId} ended before the requested range`);
        if (!this.skip) return null;
        // the client's last event is not in this stream: it gets the whole stream again
        this.startOver(this.generation);
        return restartEvent(this.ctx.runId, this.generation);
      }
      if ("replaced" in raw) {
        const next = raw.replaced;
        if (!this.sse || !next || !isEventStream(deserialize<Response>(next.head).headers)) {
          throw new StreamReplacedError(`The streamed response of run ${this.ctx.runId} was replaced; request it again`);
        }
        this.startOver(next.generation);
        return restartEvent(this.ctx.runId, next.generation);
      }
      if (!this.skip) return raw.bytes;
      const rest = this.skip.feed(raw.bytes);
      if (rest === "rescan") {
        this.queue = [];
        this.offset = 0;
        this.skip = new EventSkip(this.skip.id, false, 0);
        continue;
      }
      if (rest === null) continue;
      this.skip = null;
      if (rest.length > 0) return rest;
    }
  }

  private startOver(generation: number): void {
    if (generation !== this.generation) this.size = undefined;
    this.generation = generation;
    this.offset = 0;
    this.queue = [];
    this.skip = null;
  }

  /** Bytes of the followed generation from the current offset, or why there are none. */
  private async raw(): Promise<Raw> {
    const queued = this.queue.shift();
    if (queued) return { bytes: queued };
    if (this.until !== undefined && this.offset >= this.until) return { end: true };
    if (this.size !== undefined && this.offset >= this.size) return { end: true };
    const { store, runId } = this.ctx;
    const live = liveStream(runId);
    if (live && live.generation === this.generation && live.state === "open") {
      const parts = live.read(this.offset, LIVE_READ_BYTES);
      if (parts !== null) {
        if (parts.length > 0) return this.take(parts);
        // (a closing client loses the execution producing it: that wakes us too)
        await live.changed(this.cancelled.signal);
        this.checkClosing();
        return { again: true };
      }
    }
    const chunks = await store.readStream(runId, this.generation, this.offset, STORE_READ_CHUNKS);
    if (chunks.length > 0) return this.take(fromOffset(chunks, this.offset));
    // nothing past our offset yet: subscribe, then look again (a write in between is not missed)
    const wait = this.ctx.waitForChange(this.ctx.maxWaitMs, this.cancelled.signal);
    try {
      const again = await store.readStream(runId, this.generation, this.offset, STORE_READ_CHUNKS);
      if (again.length > 0) return this.take(fromOffset(again, this.offset));
      const state = await this.check();
      if (!("wait" in state)) return state;
      // look again when the run is due (its producer's lease runs out), if that comes first
      const due = this.ctx.idle(state.wait);
      const timer = due === null ? null : this.ctx.clock.setTimeout(wait.cancel, Math.max(0, due - this.ctx.clock.now()));
      await wait.done;
      if (timer) this.ctx.clock.clearTimer(timer);
      this.checkClosing();
      return { again: true };
    } finally {
      wait.cancel();
    }
  }

  /** Where the followed stream stands when no bytes are there to read. */
  private async check(): Promise<Raw | { wait: RunRecord }> {
    const { store, runId } = this.ctx;
    const run = await store.getRun(runId);
    if (!run) return { replaced: null };
    if (isFinished(run)) {
      const streamed = streamedResponse(run.result);
      if (streamed?.generation !== this.generation) return { replaced: streamed };
      this.size = streamed.size;
      // its last bytes were committed before the result: read them
      return this.offset >= streamed.size ? { end: true } : { again: true };
    }
    const stream = await store.getStream(runId);
    if (stream?.generation !== this.generation) return { replaced: stream };
    return { wait: run };
  }

  private take(parts: Uint8Array[]): Raw {
    let queued = parts;
    if (this.until !== undefined) queued = clip(parts, this.until - this.offset);
    for (const part of queued) this.offset += part.length;
    queued = joinSmall(queued);
    this.queue.push(...queued.slice(1));
    return queued.length > 0 ? { bytes: queued[0]! } : { end: true };
  }

  private checkClosing(): void {
    if (this.ctx.closing.aborted) throw new StreamReplacedError("The durable endpoint is shutting down; request the stream again");
  }
}

/** The chunks' bytes from `offset` on (the first chunk may start before it). */
function fromOffset(chunks: StreamChunk[], offset: number): Uint8Array[] {
  return chunks.map((c, i) => (i === 0 ? c.data.subarray(offset - c.offset) : c.data));
}

/** Runs of small parts joined (up to JOIN_BYTES each): one write to the client instead of many. */
function joinSmall(parts: Uint8Array[]): Uint8Array[] {
  if (parts.length < 2) return parts;
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (run.length > 0) out.push(run.length === 1 ? run[0]! : concat(run, size));
    run = [];
    size = 0;
  };
  for (const part of parts) {
    if (size + part.length > JOIN_BYTES) flush();
    run.push(part);
    size += part.length;
  }
  flush();
  return out;
}

/** At most `max` bytes of `parts`. */
function clip(parts: Uint8Array[], max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const part of parts) {
    if (max <= 0) break;
    out.push(part.length <= max ? part : part.subarray(0, max));
    max -= part.length;
  }
  return out;
}
