/** Small formatting helpers shared by the commands. */
import { inspect } from "node:util";

export function formatTime(ms: number | null | undefined): string {
  if (ms == null) return "—";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
}

/** One-line rendering of a decoded value (Dates, Maps, Errors shown as such). */
export function formatValue(value: unknown, max = 80): string {
  const text =
    value instanceof Error ? `${value.name}: ${value.message}`
    : value instanceof URL ? `URL ${value.href}`
    : inspect(value, { depth: 4, breakLength: Infinity, compact: true });
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A JSON-safe copy of a decoded value for `--json` (Dates → ISO, Maps → entries, BigInt → string, …). */
export function toJson(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object" || value === null) return value === undefined ? null : value;
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: value.message, ...(value.cause !== undefined ? { cause: toJson(value.cause, seen) } : {}) };
  if (value instanceof Map) return [...value].map(([k, v]) => [toJson(k, seen), toJson(v, seen)]);
  if (value instanceof Set) return [...value].map((v) => toJson(v, seen));
  if (value instanceof URL || value instanceof RegExp) return String(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map((v) => toJson(v, seen));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, seen)]));
}
