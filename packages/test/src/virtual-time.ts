/**
 * Virtual time shared by every simulated process of one test: `now` moves
 * only when the test advances it. Each process gets a Clock of its own over
 * it, so a crashed process's timers die with it.
 *
 * Timers due at the current time (the runtime's "run this soon": a scheduler
 * kick) fire on the next turn of the real event loop, so the runtime works
 * normally while time stands still; timers in the future wait for `fireDue`
 * after the test moved time forward.
 */

import type { Clock, Timer } from "@durable-endpoints/runtime/testing";

interface Entry {
  at: number;
  /** repeat period (setInterval), else null */
  every: number | null;
  callback: () => void;
  owner: ProcessClock;
}

export class VirtualTime {
  private current: number;
  private readonly timers = new Set<Entry>();
  private flushQueued = false;

  constructor(start: number) {
    this.current = start;
  }

  get now(): number {
    return this.current;
  }

  /** Moves time forward (never back). Due timers fire on the next `fireDue`. */
  moveTo(time: number): void {
    if (time > this.current) this.current = time;
  }

  /** A clock for one simulated process. */
  clock(): ProcessClock {
    return new ProcessClock(this);
  }

  /** True while a timer is due at the current time. */
  hasDue(): boolean {
    for (const entry of this.timers) if (entry.at <= this.current) return true;
    return false;
  }

  /** When the next timer after now is due, if any. */
  nextTimer(): number | null {
    let next: number | null = null;
    for (const entry of this.timers) if (entry.at > this.current && (next === null || entry.at < next)) next = entry.at;
    return next;
  }

  /**
   * Runs every timer due at the current time, once each (an interval whose
   * periods were skipped by a jump fires once, then every period from now),
   * and timers that become due while doing so. Returns how many fired.
   */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      const due = [...this.timers].filter((entry) => entry.at <= this.current).sort((a, b) => a.at - b.at);
      if (due.length === 0) return fired;
      for (const entry of due) {
        if (!this.timers.has(entry)) continue; // cleared by an earlier callback
        if (entry.every === null) this.timers.delete(entry);
        else entry.at = this.current + entry.every;
        fired++;
        entry.callback();
      }
    }
  }

  /** @internal */
  add(entry: Entry): Entry {
    this.timers.add(entry);
    if (entry.at <= this.current) this.queueFlush();
    return entry;
  }

  /** @internal */
  remove(entry: Entry): void {
    this.timers.delete(entry);
  }

  /** @internal drops every timer of a process (it crashed) */
  removeAll(owner: ProcessClock): void {
    for (const entry of this.timers) if (entry.owner === owner) this.timers.delete(entry);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.fireDue();
    });
  }
}

/** One process's view of virtual time; `stop()` kills its timers for good. */
export class ProcessClock implements Clock {
  private stopped = false;

  constructor(private readonly time: VirtualTime) {}

  now = (): number => this.time.now;

  setTimeout(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, null);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, Math.max(1, ms));
  }

  clearTimer(timer: Timer): void {
    this.time.remove(timer as unknown as Entry);
  }

  /** Virtual timers fire when the test moves time: nothing to keep the process alive for (see Clock.hold). */
  hold(): () => void {
    return () => {};
  }

  /** The process died: its timers never fire, new ones are ignored. */
  stop(): void {
    this.stopped = true;
    this.time.removeAll(this);
  }

  private add(callback: () => void, ms: number, every: number | null): Timer {
    const entry: Entry = { at: this.time.now + Math.max(0, Number(ms) || 0), every, callback, owner: this };
    if (this.stopped) return entry as unknown as Timer;
    return this.time.add(entry) as unknown as Timer;
  }
}
