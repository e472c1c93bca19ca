/**
 * Server-sent events, as far as resuming a stream needs them: splitting the
 * bytes into events (blocks of lines ended by a blank line, any of the three
 * line endings), the id the runtime gives an event that has none, and the
 * event that tells a follower the stream started again.
 *
 * Ids: `<generation>-<offset>`, the stream's generation (1, then +1 for each
 * restart) and the byte offset where the event starts in the stream as sent —
 * so a `Last-Event-ID` says exactly where to resume, and an id of an earlier
 * generation says the client saw a stream that was replaced.
 */

const CR = 13;
const LF = 10;
/** An event longer than this without its blank line is passed on as it is, without an id (bounded memory). */
const MAX_EVENT_BYTES = 1024 * 1024;
const BOM = [0xef, 0xbb, 0xbf];

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // strips a leading BOM: the first event's field names stay clean

export const isEventStream = (headers: Headers) => /^\s*text\/event-stream\s*(;|$)/i.test(headers.get("content-type") ?? "");

export const eventId = (generation: number, offset: number) => `${generation}-${offset}`;

/** `<generation>-<offset>` of an id the runtime assigned, or null. */
export function parseEventId(id: string): { generation: number; offset: number } | null {
  const match = /^(\d{1,15})-(\d{1,15})$/.exec(id);
  return match ? { generation: Number(match[1]), offset: Number(match[2]) } : null;
}

/** Sent to a follower (before the stream's new beginning) when the stream it was following was replaced. */
export function restartEvent(runId: string, generation: number): Uint8Array {
  return encoder.encode(`event: durable-restart\ndata: ${JSON.stringify({ runId, generation })}\n\n`);
}

/**
 * Splits a byte stream into complete events. A block is passed on whole
 * (its lines and the blank line ending it); bytes of an unfinished block wait
 * for the next push, up to MAX_EVENT_BYTES (then they are passed on as a
 * fragment and the rest of that block follows as fragments too).
 */
export class SseBlocks {
  private parts: Uint8Array[] = [];
  private size = 0;
  private atLineStart = true;
  private afterCR = false;
  /** the pending block ended with a CR blank line: an LF right after it belongs to it */
  private endsAtCR = false;
  /** inside a block that outgrew MAX_EVENT_BYTES */
  private oversized = false;

  /** Complete blocks (and fragments of an oversized one), in order. */
  push(chunk: Uint8Array): { bytes: Uint8Array; complete: boolean }[] {
    const out: { bytes: Uint8Array; complete: boolean }[] = [];
    let start = 0;
    let i = 0;
    if (this.endsAtCR && chunk.length > 0) {
      this.endsAtCR = false;
      if (chunk[0] === LF) i = 1;
      out.push(this.cut(chunk, 0, i));
      start = i;
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== CR && b !== LF) {
        this.atLineStart = false;
        this.afterCR = false;
        continue;
      }
      if (b === LF && this.afterCR) {
        this.afterCR = false;
        continue;
      }
      this.afterCR = b === CR;
      if (!this.atLineStart) {
        this.atLineStart = true;
        continue;
      }
      // a blank line: the block ends with it
      if (b === CR && i + 1 === chunk.length) {
        this.endsAtCR = true;
        break;
      }
      const end = b === CR && chunk[i + 1] === LF ? i + 2 : i + 1;
      out.push(this.cut(chunk, start, end));
      start = end;
      i = end - 1;
      this.afterCR = false;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
    if (this.size > MAX_EVENT_BYTES && !this.endsAtCR) {
      out.push({ bytes: this.take(), complete: false });
      this.oversized = true;
    }
    return out;
  }

  /** What is left at the end of the stream (an unfinished last block), or null. */
  rest(): Uint8Array | null {
    this.endsAtCR = false;
    return this.size === 0 ? null : this.take();
  }

  private cut(chunk: Uint8Array, start: number, end: number): { bytes: Uint8Array; complete: boolean } {
    this.keep(chunk.subarray(start, end));
    const complete = !this.oversized;
    this.oversized = false;
    return { bytes: this.take(), complete };
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private take(): Uint8Array {
    const bytes = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return bytes;
  }
}

/** What an event's fields say: its `id` (null: none), and whether it has any field at all (not only comments). */
export function eventFields(block: Uint8Array): { id: string | null; hasField: boolean } {
  let id: string | null = null;
  let hasField = false;
  for (const line of decoder.decode(block).split(/\r\n|\r|\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    hasField = true;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    if (name !== "id") continue;
    const value = colon < 0 ? "" : line.slice(line[colon + 1] === " " ? colon + 2 : colon + 1);
    if (!value.includes("\0")) id = value; // the spec ignores an id holding NULL
  }
  return { id, hasField };
}

/**
 * Gives every event that has fields but no `id` the id `<generation>-<offset>`
 * (an `id:` line in front of it, with the event's own line ending). Everything
 * else passes unchanged. Offsets count the bytes this assigner has emitted.
 */
export class SseIdAssigner {
  private readonly blocks = new SseBlocks();
  private emitted = 0;
  private bomChecked = false;

  constructor(private readonly generation: number) {}

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (!this.bomChecked && chunk.length > 0) {
      // a leading BOM stays first (EventSource strips it only there)
      this.bomChecked = true;
      if (chunk.length >= 3 && BOM.every((b, i) => chunk[i] === b)) {
        out.push(this.emit(chunk.subarray(0, 3)));
        chunk = chunk.subarray(3);
      }
    }
    for (const { bytes, complete } of this.blocks.push(chunk)) {
      const fields = complete ? eventFields(bytes) : null;
      if (fields?.hasField && fields.id === null) {
        // one piece: the event arrives whole, with its id
        const id = encoder.encode(`id: ${eventId(this.generation, this.emitted)}${lineEnding(bytes)}`);
        out.push(this.emit(concat([id, bytes])));
      } else out.push(this.emit(bytes));
    }
    return out;
  }

  end(): Uint8Array[] {
    const rest = this.blocks.rest();
    return rest ? [this.emit(rest)] : [];
  }

  private emit(bytes: Uint8Array): Uint8Array {
    this.emitted += bytes.length;
    return bytes;
  }
}

/** The first line ending of a block: "\r\n", "\r" or "\n". */
function lineEnding(block: Uint8Array): string {
  for (let i = 0; i < block.length; i++) {
    if (block[i] === LF) return "\n";
    if (block[i] === CR) return block[i + 1] === LF ? "\r\n" : "\r";
  }
  return "\n";
}

export function concat(parts: readonly Uint8Array[], size = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
