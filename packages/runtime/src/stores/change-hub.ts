/**
 * In-process fan-out of the two store signals: "run X changed" (resolves
 * `waitForChange`) and "work may be due" (`onDue` listeners). Every store
 * feeds it from its own writes; the SQL stores also from other processes
 * (SQLite: a `data_version` poll; Postgres: LISTEN/NOTIFY), and start those
 * cross-process watchers only while someone listens — see `onActiveChange`.
 *
 * A waiter may carry a token (SQLite: the run's revision when it subscribed)
 * so a cross-process check can wake only waiters whose run really moved on.
 */
interface Waiter<T> {
  token: T;
  wake(): void;
}

export class ChangeHub<T = undefined> {
  readonly #waiters = new Map<string, Set<Waiter<T>>>();
  readonly #dueListeners = new Set<() => void>();
  readonly #onActiveChange: (active: boolean) => void;
  #count = 0;

  constructor(onActiveChange: (active: boolean) => void = () => {}) {
    this.#onActiveChange = onActiveChange;
  }

  /** True while any waiter or due listener exists. */
  get active(): boolean {
    return this.#count > 0;
  }

  /** Run ids someone waits on, with the tokens of their waiters. */
  watched(): Map<string, T[]> {
    return new Map([...this.#waiters].map(([runId, set]) => [runId, [...set].map((w) => w.token)]));
  }

  waitForChange(runId: string, signal: AbortSignal, token: T): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter<T> = {
        token,
        wake: () => {
          signal.removeEventListener("abort", waiter.wake);
          const set = this.#waiters.get(runId);
          if (!set?.delete(waiter)) return;
          if (set.size === 0) this.#waiters.delete(runId);
          this.#release();
          resolve();
        },
      };
      let set = this.#waiters.get(runId);
      if (!set) this.#waiters.set(runId, (set = new Set()));
      set.add(waiter);
      this.#retain();
      signal.addEventListener("abort", waiter.wake, { once: true });
    });
  }

  onDue(listener: () => void): () => void {
    const entry = () => listener();
    this.#dueListeners.add(entry);
    this.#retain();
    return () => {
      if (this.#dueListeners.delete(entry)) this.#release();
    };
  }

  /** Wake the run's waiters (those whose token fails `unchanged`, when given). */
  runChanged(runId: string, unchanged?: (token: T) => boolean): void {
    const waiters = this.#waiters.get(runId);
    if (!waiters) return; // the common case: a checkpoint nobody waits on
    for (const waiter of [...waiters]) {
      if (!unchanged?.(waiter.token)) waiter.wake();
    }
  }

  due(): void {
    for (const listener of [...this.#dueListeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own business; the others still get the signal.
      }
    }
  }

  /** Wake every waiter and due listener: after a reconnect (signals may have been missed) or on close. */
  wakeAll(): void {
    for (const runId of [...this.#waiters.keys()]) this.runChanged(runId);
    this.due();
  }

  #retain(): void {
    if (this.#count++ === 0) this.#onActiveChange(true);
  }

  #release(): void {
    if (--this.#count === 0) this.#onActiveChange(false);
  }
}
