/**
 * The in-memory tail of a stream this process is producing: followers in the
 * same process (the inline client, polls that land here) read fresh bytes
 * from it the moment the handler produces them, without waiting for the store.
 * It holds the bytes not yet persisted plus at most WINDOW_BYTES of persisted
 * ones; a follower further behind reads from the store.
 */

/** Persisted bytes kept in memory for followers that are a little behind. */
const WINDOW_BYTES = 1024 * 1024;

export type LiveState = "open" | "ended" | "lost";

/** Streams being produced in this process, by run id. */
const producing = new Map<string, LiveStream>();

export const liveStream = (runId: string): LiveStream | undefined => producing.get(runId);

export class LiveStream {
  private chunks: { offset: number; data: Uint8Array }[] = [];
  /** bytes produced */
  private size = 0;
  private persisted = 0;
  private current: LiveState = "open";
  private waiters = new Set<() => void>();

  constructor(
    readonly runId: string,
    readonly generation: number,
  ) {
    producing.set(runId, this);
  }

  get state(): LiveState {
    return this.current;
  }

  push(data: Uint8Array): void {
    this.chunks.push({ offset: this.size, data });
    this.size += data.length;
    this.wake();
  }

  /** The first `size` bytes are in the store now. */
  persistedUpTo(size: number): void {
    this.persisted = size;
    // drop persisted chunks that fall out of the window
    for (;;) {
      const first = this.chunks[0];
      if (!first) break;
      const end = first.offset + first.data.length;
      if (end > this.persisted || this.size - end < WINDOW_BYTES) break;
      this.chunks.shift();
    }
  }

  /** Everything is persisted and the run has its final Response. */
  end(): void {
    this.settle("ended");
  }

  /** The producer stopped (fenced out, store failure, the handler's body failed): the store has the truth. */
  lose(): void {
    this.settle("lost");
  }

  /**
   * Bytes from `offset` in memory (views, at most `max` bytes in all; empty:
   * none yet), or null when `offset` is no longer (or not) in memory.
   */
  read(offset: number, max: number): Uint8Array[] | null {
    const base = this.chunks[0]?.offset ?? this.size;
    if (offset < base || offset > this.size) return null;
    const out: Uint8Array[] = [];
    let taken = 0;
    for (const { offset: at, data } of this.chunks) {
      if (taken >= max) break;
      if (at + data.length <= offset) continue;
      const from = Math.max(0, offset - at);
      const part = data.subarray(from, Math.min(data.length, from + max - taken));
      out.push(part);
      taken += part.length;
    }
    return out;
  }

  /** Resolves on the next push, end or loss (or when `signal` aborts). */
  changed(signal: AbortSignal): Promise<void> {
    if (this.current !== "open" || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private settle(state: LiveState): void {
    if (this.current !== "open") return;
    this.current = state;
    if (producing.get(this.runId) === this) producing.delete(this.runId);
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
