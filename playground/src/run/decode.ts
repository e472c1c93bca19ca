/** Shows a stored value (the runtime's serialization) as readable JSON-like text. */
import { deserialize } from "@durable-endpoints/runtime";

export function decodeValue(stored: string | null): string | undefined {
  if (stored === null) return undefined;
  try {
    return show(deserialize(stored));
  } catch {
    return stored;
  }
}

function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value === undefined) return "undefined";
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    if (v instanceof Error) return `${v.name}: ${v.message}`;
    return v;
  }) ?? String(value);
}
