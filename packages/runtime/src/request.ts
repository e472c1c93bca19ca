/** Reading, limiting and persisting the incoming request of a new run. */

import { sha256 } from "./crypto.js";
import { HttpError } from "./errors.js";
import { abortableRequest, requestController } from "./request-signal.js";
import { serializeRequestParts } from "./serialize.js";

/**
 * Headers persisted with a run unless the client says otherwise (`persistHeaders`
 * adds to them): content negotiation, conditional requests, tracing and proxy
 * information — what a resumed execution may need to shape its answer, never a
 * credential. An allowlist: a denylist cannot know every name a credential
 * travels under (`x-access-token`, `api-key`, `private-token`, …).
 */
const PERSISTED_HEADERS = new Set([
  "accept",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "content-encoding",
  "content-language",
  "content-type",
  "forwarded",
  "idempotency-key",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "last-event-id",
  "origin",
  "range",
  "traceparent",
  "tracestate",
  "user-agent",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-request-id",
]);

/**
 * Who the caller is, by default, for the scope of its Idempotency-Keys: the
 * credentials the request carries. `Authorization` and `Cookie` are the
 * standard carriers, `X-Api-Key` the most common other one; all three stay
 * the same across a client's retries. Other carriers: `idempotencyScope`.
 */
const CALLER_HEADERS = ["authorization", "cookie", "x-api-key"];

export const callerCredentials = (req: Request): string => CALLER_HEADERS.map((name) => req.headers.get(name) ?? "").join("\n");

/** Methods a durable endpoint runs; anything else is 501. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const MAX_HEADER_BYTES = 64 * 1024;
/** Longer keys are refused (400), as Stripe does: a key is an id, not a payload. */
const MAX_IDEMPOTENCY_KEY = 255;

/**
 * Refuses a request the runtime does not run (501, 431, 400). Returns the
 * headers persisted with its run (see `persistedRequest`): the headers are
 * read once, in a Headers' iteration order (lower-case, sorted).
 */
export function checkRequestShape(req: Request, persistHeaders: readonly string[] | true): [string, string][] {
  if (!METHODS.has(req.method)) throw new HttpError(501, `Method ${req.method} is not supported`);
  let size = 0;
  let key = "";
  const kept: [string, string][] = [];
  for (const header of req.headers) {
    const [name, value] = header;
    size += name.length + value.length + 4;
    if (name === "idempotency-key") key = value.trim();
    if (persistHeaders === true || PERSISTED_HEADERS.has(name) || persistHeaders.includes(name)) kept.push(header);
  }
  if (size > MAX_HEADER_BYTES) throw new HttpError(431, `Request headers exceed ${MAX_HEADER_BYTES} bytes`);
  if (key.length > MAX_IDEMPOTENCY_KEY) {
    throw new HttpError(400, `Idempotency-Key is ${key.length} characters long; at most ${MAX_IDEMPOTENCY_KEY} are allowed`);
  }
  return kept;
}

/** The request's Idempotency-Key; null when it has none (or an empty one). */
export const idempotencyKey = (req: Request): string | null => req.headers.get("idempotency-key")?.trim() || null;

/** The body, at most `maxBytes` (413 past it; 400 when it cannot be read). */
export async function readBody(req: Request, maxBytes: number): Promise<Uint8Array | null> {
  if (req.body === null) return null;
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw new HttpError(413, `Request body exceeds ${maxBytes} bytes (maxBodyBytes)`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new HttpError(413, `Request body exceeds ${maxBytes} bytes (maxBodyBytes)`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `The request body could not be read: ${(error as Error).message}`);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) body.set(chunk, (offset += chunk.byteLength) - chunk.byteLength);
  return body;
}

const withBody = (method: string) => method !== "GET" && method !== "HEAD";

/** A copy of `req` carrying `body`, already read from it, and its signal (still aborted by whoever aborts `req`'s). */
export function rebuildRequest(req: Request, body: Uint8Array | null): Request {
  const copy = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: withBody(req.method) ? (body as Uint8Array<ArrayBuffer> | null) : null,
    signal: req.signal,
  });
  const controller = requestController(req);
  return controller ? abortableRequest(copy, controller) : copy;
}

/** The request as persisted with the run: `headers` are those `checkRequestShape` kept (allowlisted, or opted in by the client). */
export function persistedRequest(req: Request, body: Uint8Array | null, headers: [string, string][]): string {
  return serializeRequestParts(req.method, req.url, headers, withBody(req.method) ? body : null);
}

/**
 * JSON object bodies nested deeper are refused (400): their fields become
 * trigger data, which is serialized recursively (a 5,000-level body would
 * overflow the stack).
 */
const MAX_JSON_DEPTH = 1000;

/** Trigger event data: query parameters merged with the fields of a JSON object body. */
export function triggerData(url: URL, body: Uint8Array | null): Record<string, unknown> {
  const data: Record<string, unknown> = Object.fromEntries(url.searchParams);
  // (deleted only when there: a delete turns the object into a slow dictionary)
  if (Object.hasOwn(data, "__durable")) delete data.__durable;
  if (body && body.length > 0 && body[0] === 0x7b /* { */) {
    const text = new TextDecoder().decode(body);
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
      throw new HttpError(400, `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(data, parsed);
    } catch {
      // not JSON: the body stays available to the handler, just not to `match`
    }
  }
  return data;
}

/** Whether brackets outside strings nest deeper than `max` in `json` (a linear scan: no parse, no recursion). */
function nestedDeeperThan(json: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/** Identity of a request for Idempotency-Key reuse checks (422 when it differs). */
export function requestHash(req: Request, url: URL, body: Uint8Array | null): Promise<string> {
  const head = `${req.method} ${url.pathname}${url.search}\n${req.headers.get("content-type") ?? ""}\n`;
  const headBytes = new TextEncoder().encode(head);
  const all = new Uint8Array(headBytes.length + (body?.length ?? 0));
  all.set(headBytes);
  if (body) all.set(body, headBytes.length);
  return sha256(all);
}
