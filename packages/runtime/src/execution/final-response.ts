/**
 * The final Response of an execution whose body was read whole: its stored
 * text and the copy answered, made from its parts (no reducer walk over a
 * Response, its headers iterated once), and the bytes of that copy for
 * `toNodeHandler`, which writes them as they are instead of reading the copy's
 * body stream back.
 */

import { stringify } from "devalue";

/**
 * `serializeMessage(response, bytes)` (serialize.ts) for a Response given by
 * its parts — the same text, checked against it in serialization tests.
 * `headers` in a Headers' iteration order (lower-case, sorted).
 */
export function serializeResponseParts(status: number, statusText: string, headers: [string, string][], bytes: Uint8Array | null): string {
  const parts = {};
  const text = stringify(parts, { Response: (v: unknown) => v === parts && [status, statusText, headers, bytes === null ? -1 : 0] });
  return bytes === null ? text : "B" + JSON.stringify([text, toBase64(bytes)]);
}

const NativeBuffer = (globalThis as { Buffer?: { from(data: ArrayBufferLike, offset?: number, length?: number): { toString(encoding: "base64"): string } } }).Buffer;

function toBase64(bytes: Uint8Array): string {
  if (NativeBuffer) return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Responses the runtime made over bytes it holds whole: their bytes (null: no body). */
const wholeBodies = new WeakMap<Response, Uint8Array | null>();

/** A Response over `bytes` (already read whole), remembered as such. */
export function wholeResponse(bytes: Uint8Array | null, init: ResponseInit): Response {
  const response = new Response(bytes as Uint8Array<ArrayBuffer> | null, init);
  wholeBodies.set(response, bytes);
  return response;
}

/**
 * The bytes of a Response `wholeResponse` made, while its body was not read
 * (undefined otherwise): what its body stream would produce.
 */
export function wholeBody(response: Response): Uint8Array | null | undefined {
  const bytes = wholeBodies.get(response);
  return bytes === undefined || response.bodyUsed ? undefined : bytes;
}
