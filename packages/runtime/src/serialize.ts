/**
 * Lossless serialization of locals, step results and final Responses (devalue
 * + reducers for the web/JS types devalue does not know).
 *
 * Request/Response bodies can only be read asynchronously, but locals must be
 * captured synchronously (the instant a state is entered). So serialization is
 * two-phase: `snapshot()` walks the value now and starts reading bodies from
 * clones; `finish()` awaits them and yields the final string.
 */

import { DevalueError, parse, stringify } from "devalue";
import { NonRetriableError, RetryAfterError, StepError } from "./errors.js";

export interface Snapshot {
  readonly text: string;
  readonly bodies: readonly Promise<Uint8Array | null>[];
}

/** A value that cannot be saved; `path` locates it inside the serialized root ("" = the root itself). */
export class UnserializableError extends Error {
  override name = "UnserializableError";
  constructor(readonly path: string, readonly detail: string) {
    super(detail);
  }
}

const readBody = async (body: Request | Response): Promise<Uint8Array | null> =>
  body.body === null ? null : new Uint8Array(await body.arrayBuffer());

/** Index of a message's body in the snapshot's body list (-1: no body). */
type BodySlot = (message: Request | Response) => number;

/** The body slot of the `stringify` call running now (it is synchronous: one at a time). */
let currentBody: BodySlot = () => -1;

/**
 * A tagged template's strings array (frozen, with `raw`) is its call site's one object in the realm: a
 * copy would be another, unfrozen array, so it is refused like a function.
 */
const isTemplateObject = (v: unknown): boolean => Array.isArray(v) && Object.hasOwn(v, "raw") && Object.isFrozen(v);

/** One reducer object for every call: devalue calls each reducer on every value it walks. */
const reducers = {
  TemplateObject: (v: unknown) => {
    if (isTemplateObject(v)) throw new UnserializableError(pathTo(currentRoot, v), "a tagged template's strings array cannot be saved (it is its call site's own frozen object)");
    return false;
  },
  Error: (v: unknown) =>
    v instanceof Error && [v.name, v.message, "cause" in v ? v.cause : undefined, (v as Partial<StepError>).stepId, (v as Partial<RetryAfterError>).retryAfter],
  Headers: (v: unknown) => v instanceof Headers && [...v],
  Request: (v: unknown) => v instanceof Request && [v.method, v.url, [...v.headers], currentBody(v)],
  Response: (v: unknown) => v instanceof Response && [v.status, v.statusText, [...v.headers], currentBody(v)],
};

/** The value the `stringify` call running now walks (for the path of a refused value). */
let currentRoot: unknown;

/** devalue's `stringify` with our reducers, Request/Response bodies placed by `body`. */
function stringifyWith(value: unknown, body: BodySlot): string {
  const [outerBody, outerRoot] = [currentBody, currentRoot];
  currentBody = body;
  currentRoot = value;
  try {
    return stringify(value, reducers);
  } finally {
    [currentBody, currentRoot] = [outerBody, outerRoot];
  }
}

/** Where `target` sits in `root`, written like devalue's paths (`.list[0]`); "" when it is the root or not found. */
function pathTo(root: unknown, target: unknown, seen = new Set<unknown>()): string {
  if (root === target || typeof root !== "object" || root === null || seen.has(root)) return "";
  seen.add(root);
  const entries: [string, unknown][] = Array.isArray(root)
    ? root.map((v, i) => [`[${i}]`, v])
    : root instanceof Map || root instanceof Set
      ? [...root.values()].map((v) => ["", v])
      : Object.entries(root).map(([k, v]) => [/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`, v]);
  for (const [key, value] of entries) {
    if (value === target) return key;
    const inner = pathTo(value, target, seen);
    if (inner) return key + inner;
  }
  return "";
}

/**
 * devalue's text of a finite number, a boolean or null (the common step
 * result) without its walk; undefined for anything else. Checked against
 * devalue in serialization.test.ts.
 */
function primitiveText(value: unknown): string | undefined {
  if (value === null || typeof value === "boolean") return `[${value}]`;
  if (typeof value === "number" && Number.isFinite(value) && !Object.is(value, -0)) return `[${value}]`;
  return undefined;
}

/** The language's error types a saved error comes back as (by name; any other name is an `Error` with that name). */
const BUILT_IN_ERRORS = { TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError };

/** `signal`: the one a revived Request gets. */
function revivers(bodies: readonly (Uint8Array | null)[], signal?: AbortSignal) {
  const body = (i: number) => (i < 0 ? null : bodies[i]!.slice());
  return {
    Error: ([name, message, cause, stepId, retryAfter]: [string, string, unknown, string?, unknown?]) => {
      const options = cause === undefined ? undefined : { cause };
      let error: Error;
      if (name === "StepError") error = new StepError(stepId ?? "", (cause as Error) ?? new Error(message));
      else if (name === "NonRetriableError") error = new NonRetriableError(message, options);
      else if (name === "RetryAfterError") error = new RetryAfterError(message, retryAfter as number, options);
      else if (Object.hasOwn(BUILT_IN_ERRORS, name)) error = new BUILT_IN_ERRORS[name as keyof typeof BUILT_IN_ERRORS](message, options);
      else error = Object.assign(new Error(message, options), { name });
      error.message = message;
      delete error.stack;
      return error;
    },
    Headers: (entries: [string, string][]) => new Headers(entries),
    Request: ([method, url, headers, i]: [string, string, [string, string][], number]) =>
      new Request(url, { method, headers, body: body(i), signal }),
    Response: ([status, statusText, headers, i]: [number, string, [string, string][], number]) =>
      new Response(status === 204 || status === 205 || status === 304 ? null : body(i), { status, statusText, headers }),
  };
}

const NO_BODIES: readonly Promise<Uint8Array | null>[] = [];

/** Capture `value` now (synchronously); bodies are read from clones. Throws UnserializableError. */
export function snapshot(value: unknown): Snapshot {
  const text = primitiveText(value);
  if (text !== undefined) return { text, bodies: NO_BODIES };
  const bodies: Promise<Uint8Array | null>[] = [];
  const body: BodySlot = (message) => {
    if (message.body === null) return -1;
    if (message.bodyUsed) throw new UnserializableError("", `a ${message.constructor.name} whose body was already read cannot be saved`);
    return bodies.push(readBody(message.clone())) - 1;
  };
  try {
    return { text: stringifyWith(value, body), bodies };
  } catch (error) {
    // a body read may already be running for an earlier message: its result is no longer wanted
    for (const pending of bodies) pending.catch(() => {});
    if (error instanceof UnserializableError) throw error;
    if (error instanceof DevalueError) {
      const what = (error.value as object | undefined)?.constructor?.name;
      const detail = typeof error.value === "function" ? "a function" : what ? `a ${what} instance` : error.message;
      throw new UnserializableError(error.path, `${detail} cannot be saved (${error.message})`);
    }
    throw error;
  }
}

/**
 * The locals a checkpoint saves (machine.ts rule 4): `values` (the live locals), captured now. A local listed in
 * `recreate` that cannot be serialized is left out — the machine makes it again on resume — and the locals its
 * initializer reads are saved instead, from `inputs` (their values when the state was entered). Any other value
 * that cannot be saved throws its UnserializableError.
 */
export function snapshotLocals(values: Record<string, unknown>, inputs: Record<string, unknown>, recreate: Readonly<Record<string, readonly string[]>> | undefined): Snapshot {
  const saved = { ...values };
  for (;;) {
    try {
      return snapshot(saved);
    } catch (error) {
      const name = error instanceof UnserializableError ? localOf(error.path) : null;
      if (name === null || !recreate || !Object.hasOwn(recreate, name) || !(name in saved)) throw error;
      delete saved[name];
      for (const input of recreate[name]!) if (!(input in saved) && input in inputs) saved[input] = inputs[input];
    }
  }
}

/** The local a path inside saved locals starts at: `.client.socket` → `client`; null for the root. */
export function localOf(path: string): string | null {
  const local = /^\.([\w$]+)|^\["(.*?)"\]/.exec(path);
  return local?.[1] ?? local?.[2] ?? null;
}

/** The final string of a snapshot: synchronous unless it holds Request/Response bodies to await. */
export function finish(s: Snapshot): string | Promise<string> {
  return s.bodies.length === 0 ? s.text : withBodies(s);
}

async function withBodies(s: Snapshot): Promise<string> {
  return withBodyBytes(s.text, await Promise.all(s.bodies));
}

const withBodyBytes = (text: string, bodies: readonly (Uint8Array | null)[]): string =>
  "B" + JSON.stringify([text, ...bodies.map((b) => (b === null ? null : toBase64(b)))]);

export const serialize = async (value: unknown): Promise<string> => finish(snapshot(value));

/** A Request/Response whose body was already read as `bytes`, serialized without touching its stream. */
export function serializeMessage(message: Request | Response, bytes: Uint8Array | null): string {
  const text = stringifyWith(message, () => (bytes === null ? -1 : 0));
  return bytes === null ? text : withBodyBytes(text, [bytes]);
}

/**
 * A Request given by its parts, serialized exactly as `serializeMessage`
 * would serialize it, without building the Request (and its Headers and
 * AbortSignal). `url` must be normalized (a Request's `url`), `headers`
 * lower-case and sorted (a Headers' iteration order).
 */
export function serializeRequestParts(method: string, url: string, headers: [string, string][], bytes: Uint8Array | null): string {
  const parts = {};
  const text = stringify(parts, { Request: (v: unknown) => v === parts && [method, url, headers, bytes === null ? -1 : 0] });
  return bytes === null ? text : withBodyBytes(text, [bytes]);
}

/**
 * A final Response whose body was streamed: its head (`serializeMessage`
 * without a body) and where the body is — the store's stream of the run,
 * `generation`, `size` bytes.
 */
export interface StreamedResponse {
  head: string;
  generation: number;
  size: number;
}

export const serializeStreamedResponse = ({ head, generation, size }: StreamedResponse): string =>
  "S" + JSON.stringify([head, generation, size]);

/** The streamed Response a run's result refers to, or null when the result holds its body itself. */
export function streamedResponse(result: string | null): StreamedResponse | null {
  if (!result?.startsWith("S")) return null;
  const [head, generation, size] = JSON.parse(result.slice(1)) as [string, number, number];
  return { head, generation, size };
}

/**
 * Deserializes a value; a streamed Response comes back as its head (without
 * its body, which the store's stream holds). `signal`: the signal of the
 * Requests revived (a resumed execution's cancellation: no wrapper Request).
 */
export function deserialize<T = unknown>(text: string, signal?: AbortSignal): T {
  if (text.startsWith("S")) return deserialize<T>(streamedResponse(text)!.head);
  if (!text.startsWith("B")) return parse(text, revivers([], signal)) as T;
  const [inner, ...bodies] = JSON.parse(text.slice(1)) as [string, ...(string | null)[]];
  return parse(inner, revivers(bodies.map((b) => (b === null ? null : fromBase64(b))), signal)) as T;
}

interface NodeBuffer extends Uint8Array {
  toString(encoding?: "base64"): string;
}

/** Node's (and Bun's, Deno's) Buffer where there is one: native base64, not a string built one character at a time. */
const NativeBuffer = (globalThis as { Buffer?: { from(data: ArrayBufferLike | string, offsetOrEncoding?: number | "base64", length?: number): NodeBuffer } }).Buffer;

function toBase64(bytes: Uint8Array): string {
  if (NativeBuffer) return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  // a copy: a small Buffer is a view into a pool shared with other Buffers
  if (NativeBuffer) return new Uint8Array(NativeBuffer.from(text, "base64"));
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
