/** Times and durations as people read them. */
const pad = (n: number) => String(n).padStart(2, "0");

/** "14:03:07" today, "Mar 4 14:03:07" otherwise (local time); the exact ISO time goes in a title. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (new Date().toDateString() === d.toDateString()) return time;
  return `${d.toLocaleString("en", { month: "short" })} ${d.getDate()}${d.getFullYear() !== new Date().getFullYear() ? ` ${d.getFullYear()}` : ""} ${time}`;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  if (abs < 10_000) return `${(abs / 1000).toFixed(1)}s`;
  const seconds = Math.round(abs / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  const minutes = Math.round(abs / 60_000);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h${pad(minutes % 60)}m`;
  const hours = Math.round(abs / 3_600_000);
  return `${Math.floor(hours / 24)}d${hours % 24 ? `${hours % 24}h` : ""}`;
}

/** "in 3m02s" / "2s ago" relative to now. */
export function relative(ms: number, now = Date.now()): string {
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return "now";
  return delta > 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`;
}
