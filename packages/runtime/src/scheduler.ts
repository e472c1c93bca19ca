/**
 * In-process scheduler: one unref'd timer armed for the earliest due run of
 * this client's endpoints (sleeps, retries, wait timeouts), re-armed at least
 * every lease period to take over runs whose owner died. Every hour (or
 * every `eventRetentionMs`, if shorter) it also prunes events past their
 * retention that no wait can still match.
 */

import type { Timer } from "./clock.js";
import type { Services } from "./services.js";
import type { RunRecord, Store } from "./store.js";

const BATCH = 32;
const PRUNE_EVERY_MS = 3_600_000;

export class Scheduler {
  private timer: Timer | null = null;
  private ticking = false;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private prunedAt = -Infinity;

  constructor(
    private readonly services: Services,
    /** called with each claimed (leased) run */
    private readonly resume: (run: RunRecord) => void,
  ) {}

  /** Starts claiming: the first claim after `delayMs` (sooner when kicked or signalled). */
  async start(delayMs = 0): Promise<void> {
    const store = await this.services.store();
    if (this.stopped) return;
    this.unsubscribe = store.onDue(() => this.kick());
    this.arm(delayMs);
  }

  /** Something may be due now (or the earliest wake-up changed): claim, then re-arm. */
  kick(): void {
    this.arm(0);
  }

  /** A run suspended until `wakeAt`: make sure the timer fires by then. */
  notify(wakeAt: number | null): void {
    if (wakeAt !== null) this.arm(Math.max(0, wakeAt - this.services.clock.now()));
  }

  /** Stops timers; runs a claim in progress returns are handed back, not resumed. */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.services.clock.clearTimer(this.timer);
    this.timer = null;
    this.unsubscribe?.();
  }

  /** when the armed timer fires: by the client's clock, and by a monotonic real-time clock */
  private armedFor = Infinity;
  private armedForReal = Infinity;

  private arm(delayMs: number): void {
    if (this.stopped) return;
    const { clock } = this.services;
    const now = clock.now();
    const realNow = performance.now();
    if (this.timer) {
      // The armed timer is in time if it fires by then on both clocks. One only overdue by the clock is kept: a busy
      // event loop delays every timer, and it still fires first. One in time by the clock but not in real time is
      // replaced: the clock jumped ahead (an NTP step, a test's clock), and it may be a whole lease period away.
      if (this.armedFor <= now + delayMs && this.armedForReal <= realNow + delayMs) return;
      clock.clearTimer(this.timer);
    }
    // never later by the clock than the timer it replaces (a test's virtual clock fires timers by the clock alone)
    const at = Math.min(now + delayMs, this.armedFor);
    const delay = Math.max(0, at - now);
    this.armedFor = at;
    this.armedForReal = realNow + delay;
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      this.armedFor = this.armedForReal = Infinity;
      this.tick();
    }, delay);
  }

  private tick(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.claim().finally(() => {
      this.ticking = false;
      // a signal that came after the pass's last claim (while it pruned or looked up the next wake-up): claim again
      if (this.again && !this.stopped) this.tick();
    });
  }

  private async claim(): Promise<void> {
    const { owner, leaseMs, endpoints, logger, clock } = this.services;
    try {
      const store = await this.services.store();
      // the time of the last claim: runs due by then that it left are leased or wait for a concurrency slot
      let claimedAt = clock.now();
      do {
        this.again = false;
        const names = [...endpoints.keys()];
        if (names.length === 0) break;
        for (;;) {
          claimedAt = clock.now();
          const claimed = await store.claimDue(names, owner, leaseMs, claimedAt, BATCH);
          if (this.stopped) {
            // closed while claiming: hand the runs back (if the store still answers) instead of sitting on them
            await Promise.allSettled(claimed.map((run) => store.releaseLease(run.id, run.fence)));
            return;
          }
          for (const run of claimed) this.resume(run);
          if (claimed.length < BATCH || this.stopped) break;
        }
      } while (this.again && !this.stopped);
      await this.pruneEvents(store);
      // …and a release or a cancel signals due work, an expiry is caught by the re-arm every lease period
      const next = await store.nextWakeAt([...endpoints.keys()], claimedAt);
      const untilNext = next === null ? leaseMs : Math.min(leaseMs, next - clock.now());
      this.arm(Math.max(0, untilNext));
    } catch (error) {
      if (!this.stopped) {
        logger.error("[durable] scheduler: could not claim due runs", error);
        this.arm(leaseMs);
      }
    }
  }

  /** Events past their retention, unless a wait may still match them (Store.pruneEvents); a failure is logged and retried later. */
  private async pruneEvents(store: Store): Promise<void> {
    const { clock, eventRetentionMs, logger } = this.services;
    const now = clock.now();
    if (now - this.prunedAt < Math.min(PRUNE_EVERY_MS, eventRetentionMs)) return;
    this.prunedAt = now;
    try {
      await store.pruneEvents(now - eventRetentionMs);
    } catch (error) {
      logger.warn("[durable] scheduler: could not prune old events", error);
    }
  }
}
