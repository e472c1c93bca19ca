/** Shows a stored (serialized) value as readable text. */
export function decodeValue(stored: string | null): string | undefined {
  if (stored === null) return undefined;
  return stored;
}
