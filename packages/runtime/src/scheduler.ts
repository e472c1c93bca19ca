/**
 * In-process scheduler: one unref'd timer armed for the earliest due run of
 * this client's endpoints (sleeps, retries, wait timeouts), re-armed at least
 * every lease period to take over runs whose owner died.
 */

import type { Logger } from "./core.js";
import type { RunRecord, Store } from "./store.js";

const BATCH = 32;

export interface SchedulerOptions {
  store: () => Promise<Store>;
  owner: string;
  leaseMs: number;
  logger: Logger;
  endpoints: () => string[];
  /** called with each claimed (leased) run */
  resume: (run: RunRecord) => void;
}

export class Scheduler {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ticking = false;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: SchedulerOptions) {}

  async start(): Promise<void> {
    const store = await this.options.store();
    if (this.stopped) return;
    this.unsubscribe = store.onDue(() => this.kick());
    this.kick();
  }

  /** Something may be due now (or the earliest wake-up changed): claim, then re-arm. */
  kick(): void {
    this.arm(0);
  }

  /** A run suspended until `wakeAt`: make sure the timer fires by then. */
  notify(wakeAt: number | null): void {
    if (wakeAt !== null) this.arm(Math.max(0, wakeAt - Date.now()));
  }

  /** Stops timers; runs a claim in progress returns are handed back, not resumed. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
  }

  private armedFor = Infinity;

  private arm(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.timer && this.armedFor <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.armedFor = Infinity;
      this.tick();
    }, delayMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private tick(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.claim().finally(() => {
      this.ticking = false;
    });
  }

  private async claim(): Promise<void> {
    const { store: getStore, owner, leaseMs, endpoints, resume, logger } = this.options;
    try {
      const store = await getStore();
      do {
        this.again = false;
        const names = endpoints();
        if (names.length === 0) break;
        for (;;) {
          const claimed = await store.claimDue(names, owner, leaseMs, Date.now(), BATCH);
          if (this.stopped) {
            // closed while claiming: hand the runs back (if the store still answers) instead of sitting on them
            await Promise.allSettled(claimed.map((run) => store.releaseLease(run.id, run.fence)));
            return;
          }
          for (const run of claimed) resume(run);
          if (claimed.length < BATCH || this.stopped) break;
        }
      } while (this.again && !this.stopped);
      const next = await store.nextWakeAt(endpoints());
      const untilNext = next === null ? leaseMs : Math.min(leaseMs, next - Date.now());
      this.arm(Math.max(0, untilNext));
    } catch (error) {
      if (!this.stopped) {
        logger.error("[durable] scheduler: could not claim due runs", error);
        this.arm(leaseMs);
      }
    }
  }
}
