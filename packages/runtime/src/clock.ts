/**
 * Time as the runtime sees it. Every "now" and every timer of the engine,
 * executions, scheduler and protocol goes through one client's clock, so a
 * test can swap in a virtual clock and a process can choose which timers keep
 * it alive.
 */

/** A pending timer; only the clock that made it can clear it. */
export type Timer = { readonly __timer: unique symbol };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once after `ms`. */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Runs `callback` every `ms`. */
  setInterval(callback: () => void, ms: number): Timer;
  /** Cancels a timer of either kind; a timer that already fired or was cleared is ignored. */
  clearTimer(timer: Timer): void;
  /**
   * Keeps the process alive until the returned function is called: a caller
   * awaits a Response that waits on this clock's timers. (A virtual clock's
   * timers fire when its test says so: it holds nothing.)
   */
  hold(): () => void;
}

type Unrefable = { unref?: () => void };

/** Where `withClock` puts a clock on client options (a registry symbol: several copies of the runtime agree on it). */
const CLOCK = Symbol.for("durable-endpoints.clock");

/**
 * Client options whose client keeps time by `clock` instead of the wall clock
 * (a test kit's virtual clock). Exported from `@durable-endpoints/runtime/testing`.
 */
export function withClock<T extends object>(options: T, clock: Clock): T {
  return { ...options, [CLOCK]: clock };
}

/** The clock a client built from `options` uses. */
export function clockOf(options: object): Clock {
  return (options as { [CLOCK]?: Clock })[CLOCK] ?? realClock;
}

/** Wall-clock time; its timers never keep the process alive on their own. */
export const realClock: Clock = Object.freeze({
  now: Date.now,
  setTimeout(callback: () => void, ms: number): Timer {
    const timer = setTimeout(callback, ms);
    (timer as Unrefable).unref?.();
    return timer as unknown as Timer;
  },
  setInterval(callback: () => void, ms: number): Timer {
    const timer = setInterval(callback, ms);
    (timer as Unrefable).unref?.();
    return timer as unknown as Timer;
  },
  clearTimer(timer: Timer): void {
    // one function clears both kinds in Node, Bun, Deno and browsers
    clearTimeout(timer as unknown as ReturnType<typeof setTimeout>);
  },
  hold: holdProcess,
});

let holds = 0;
let holder: (Unrefable & { ref?: () => void }) | undefined;

/**
 * Keeps the process alive until the returned function is called: while a
 * caller awaits a Response (an inline execution, a long-poll), the unref'd
 * timers it waits on must still fire — a script's top-level await included.
 * One timer, referenced while anything is held; it never fires in practice.
 * Where timers can be unref'd (Node, Bun) it is kept, unref'd, between holds:
 * cheaper per request than a new timer each time.
 */
function holdProcess(): () => void {
  if (holds++ === 0) {
    if (holder?.ref) holder.ref();
    else holder = setInterval(() => {}, 2 ** 30) as Unrefable;
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--holds > 0) return;
    if (holder?.unref && holder.ref) return holder.unref();
    clearInterval(holder as ReturnType<typeof setInterval>);
    holder = undefined;
  };
}

