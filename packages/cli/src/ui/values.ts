/**
 * Decoded values → `ValueView` trees the page can render. Bounded: a run's
 * locals may hold megabytes, the page gets at most MAX_NODES nodes, MAX_ITEMS
 * entries per collection and MAX_STRING characters per string.
 */
import type { ValueView } from "./api.js";

const MAX_NODES = 4000;
const MAX_ITEMS = 200;
const MAX_STRING = 4000;
const MAX_DEPTH = 12;
const MAX_BYTES = 64;

export function viewValue(value: unknown): ValueView {
  let budget = MAX_NODES;
  const enclosing = new Set<object>();

  const view = (v: unknown, depth: number): ValueView => {
    if (--budget < 0) return { t: "cut" };
    switch (typeof v) {
      case "string":
        return v.length > MAX_STRING ? { t: "string", v: v.slice(0, MAX_STRING), cut: v.length - MAX_STRING } : { t: "string", v };
      case "number":
        return { t: "number", v: Object.is(v, -0) ? "-0" : String(v) };
      case "boolean":
        return { t: "boolean", v };
      case "bigint":
        return { t: "bigint", v: v.toString() };
      case "undefined":
        return { t: "undefined" };
      case "symbol":
      case "function":
        return { t: "string", v: String(v) };
    }
    if (v === null) return { t: "null" };
    const object = v as object;
    if (enclosing.has(object)) return { t: "cycle" };
    if (depth >= MAX_DEPTH) return { t: "cut" };
    enclosing.add(object);
    try {
      return viewObject(object, (child) => view(child, depth + 1));
    } finally {
      enclosing.delete(object);
    }
  };
  return view(value, 0);
}

function viewObject(v: object, child: (value: unknown) => ValueView): ValueView {
  if (v instanceof Date) return { t: "date", v: Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString() };
  if (v instanceof RegExp) return { t: "regexp", v: String(v) };
  if (v instanceof URL) return { t: "url", v: v.href };
  if (v instanceof URLSearchParams) return { t: "object", name: "URLSearchParams", size: v.size, entries: [...v].slice(0, MAX_ITEMS).map(([k, s]) => [k, child(s)]) };
  if (v instanceof Error) return { t: "error", name: v.name, message: v.message, ...(v.cause !== undefined ? { cause: child(v.cause) } : {}) };
  if (v instanceof Headers) return { t: "headers", entries: [...v] };
  if (v instanceof Request) return { t: "request", method: v.method, url: v.url, headers: [...v.headers] };
  if (v instanceof Response) return { t: "response", status: v.status, headers: [...v.headers] };
  if (v instanceof Map) return { t: "map", size: v.size, entries: first(v).map(([k, s]) => [child(k), child(s)]) };
  if (v instanceof Set) return { t: "set", size: v.size, items: first(v).map(child) };
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const hex = [...bytes.subarray(0, MAX_BYTES)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    return { t: "bytes", name: v.constructor.name, size: bytes.length, hex };
  }
  if (Array.isArray(v)) return { t: "array", size: v.length, items: v.slice(0, MAX_ITEMS).map(child) };
  const keys = Object.keys(v);
  const name = v.constructor && v.constructor !== Object ? v.constructor.name : undefined;
  return {
    t: "object",
    ...(name ? { name } : {}),
    size: keys.length,
    entries: keys.slice(0, MAX_ITEMS).map((k) => [k, child((v as Record<string, unknown>)[k])]),
  };
}

function first<T>(items: Iterable<T>): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= MAX_ITEMS) break;
    out.push(item);
  }
  return out;
}
