/** Exact duration parsing: "500ms", "1.5s", "1h30m", "2d", or a number of milliseconds. */

import type { Duration } from "./types.js";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

const WHOLE = /^(?:\s*\d+(?:\.\d+)?\s*[a-z]+)+\s*$/i;
const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gi;

/** Milliseconds in `duration`; throws a descriptive error for anything unparsable or negative. */
export function parseDuration(duration: Duration, what = "duration"): number {
  if (typeof duration === "number") {
    if (Number.isFinite(duration) && duration >= 0) return duration;
    throw new TypeError(`Invalid ${what}: ${duration} (expected a finite number of milliseconds >= 0)`);
  }
  if (typeof duration === "string") {
    const text = duration.trim();
    if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
    if (WHOLE.test(text)) {
      let total = 0;
      for (const [, amount, unit] of text.matchAll(PART)) {
        const factor = UNIT_MS[unit!.toLowerCase()];
        if (factor === undefined) throw new TypeError(`Invalid ${what} "${duration}": unknown unit "${unit}" (use ms, s, m, h, d or w)`);
        total += Number(amount) * factor;
      }
      return total;
    }
  }
  throw new TypeError(`Invalid ${what} ${JSON.stringify(duration)}: expected milliseconds or a string like "500ms", "30s", "1h30m", "2d"`);
}

/** The longest a step may sleep or wait (sleep, sleepUntil, a waitForEvent timeout, a retry): 365 days, as Inngest. */
export const MAX_SLEEP_MS = 365 * 86_400_000;

/**
 * The wake-up time `at` as stored: whole milliseconds, rounded up (a wake-up
 * is never early). Throws when it is more than MAX_SLEEP_MS after `now`: such a
 * time does not fit the store (and is a bug more often than an intent).
 */
export function wakeTime(at: number, now: number, what: string): number {
  if (at - now > MAX_SLEEP_MS) {
    throw new RangeError(`${what} is longer than the maximum of 365 days`);
  }
  // a time far in the past is just "elapsed": kept within what the store holds
  return Math.ceil(Math.max(at, now - MAX_SLEEP_MS));
}

/** Absolute time (ms since epoch) of a Date, ISO string or epoch-ms number. */
export function parseTime(value: Date | string | number, what = "time"): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : value;
  if (typeof ms === "number" && Number.isFinite(ms)) return ms;
  throw new TypeError(`Invalid ${what} ${JSON.stringify(value)}: expected a Date, an ISO date string or epoch milliseconds`);
}
