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

/**
 * `node:util`'s `isProxy` where the runtime has it (Node, Bun, Deno; found without a static import so this file
 * also bundles for browsers, where a Proxy cannot be told apart and is walked like its target).
 */
const isProxy: (v: unknown) => boolean =
  ((globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.("node:util") as typeof import("node:util") | undefined)
    ?.types.isProxy ?? (() => false);

/**
 * Whether `v` is an error object (has the [[ErrorData]] slot an `Error` constructor gives), told without running user
 * code: `node:util`'s `isNativeError` where there is one, else an `Error.prototype` on its prototype chain (not
 * through a Proxy).
 */
const isNativeError: (v: object) => boolean =
  ((globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.("node:util") as typeof import("node:util") | undefined)
    ?.types.isNativeError ??
  ((v: object) => {
    for (let proto = Object.getPrototypeOf(v); proto !== null && !isProxy(proto); proto = Object.getPrototypeOf(proto)) if (proto === Error.prototype) return true;
    return false;
  });

/**
 * The error classes whose instances are saved, by their exact prototype: the language's own (looked up: a realm may
 * lack `AggregateError`) and the runtime's. An error comes back as a new instance of its class with exactly its own
 * properties (all but `stack`); an instance of any other class — `class PaymentError extends Error` — is refused,
 * as it would come back as another class.
 */
const ERROR_CLASSES: ReadonlyMap<object, string> = new Map(
  [
    ...["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError", "EvalError", "URIError", "AggregateError"].map(
      (name): [string, unknown] => [name, (globalThis as Record<string, unknown>)[name]],
    ),
    ["StepError", StepError] as [string, unknown],
    ["NonRetriableError", NonRetriableError] as [string, unknown],
    ["RetryAfterError", RetryAfterError] as [string, unknown],
  ]
    .filter(([, C]) => typeof C === "function")
    .map(([name, C]): [object, string] => [(C as { prototype: object }).prototype, name]),
);

/** A new, bare error of a class of `ERROR_CLASSES` (its own properties are then defined from the saved ones). */
function makeError(kind: string): Error {
  const runtime: Record<string, new (...args: never[]) => Error> = { StepError, NonRetriableError, RetryAfterError };
  const error: Error = Object.hasOwn(runtime, kind)
    ? Reflect.construct(Error, [], runtime[kind]!)
    : kind === "AggregateError"
      ? new (globalThis as unknown as { AggregateError: new (errors: unknown[]) => Error }).AggregateError([])
      : new (globalThis as unknown as Record<string, ErrorConstructor>)[kind]!();
  for (const key of Reflect.ownKeys(error)) delete (error as unknown as Record<PropertyKey, unknown>)[key];
  return error;
}

/** The name of the class whose prototype is `proto`, read without running user code ("" when it has none). */
function className(proto: object | null): string {
  const ctor = proto === null ? undefined : Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
  const name = typeof ctor === "function" ? Object.getOwnPropertyDescriptor(ctor, "name")?.value : undefined;
  return typeof name === "string" ? name : "";
}

/**
 * An error's saved form: its class (one of `ERROR_CLASSES`), whether it is extensible, and each own property but
 * `stack` with its attributes — so an inherited `message` stays inherited and an own `name` or `code` comes back
 * as it was. Refused (UnserializableError) when it would come back different.
 */
function errorForm(v: unknown): unknown[] | false {
  if (typeof v !== "object" || v === null || !isNativeError(v)) return false;
  const proto = Object.getPrototypeOf(v); // not a Proxy: exactForm refused one first
  const kind = ERROR_CLASSES.get(proto);
  if (kind === undefined) {
    const name = className(proto);
    throw new UnserializableError(
      pathTo(currentRoot, v),
      `an error of class ${name || "(anonymous)"} cannot be saved (only instances of Error, its built-in subclasses and the runtime's errors are: it would come back as another class)`,
    );
  }
  const form: unknown[] = [kind, Object.isExtensible(v) ? 0 : NOT_EXTENSIBLE];
  for (const key of Reflect.ownKeys(v)) {
    if (key === "stack") continue;
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if (typeof key === "symbol") throw new UnserializableError(pathTo(currentRoot, v) + step(key, false), `a property keyed by a symbol (${String(key)}) cannot be saved`);
    if (!("value" in d)) throw new UnserializableError(pathTo(currentRoot, v) + step(key, false), "an accessor property (getter/setter) cannot be saved (saving would run its getter)");
    form.push(key, d.value, attributes(d));
  }
  // devalue revives a reduced value only after its contents: a reference back to it from inside cannot be revived
  if (childrenOf(v).some(([, child]) => reaches(child, v)))
    throw new UnserializableError(pathTo(currentRoot, v), "an error inside a cycle through itself (its cause or a property leading back to it) cannot be saved");
  return form;
}

/** The error an error form describes (`errorForm`'s inverse). */
function fromErrorForm([kind, flags, ...rest]: unknown[]): Error {
  if (typeof kind !== "string" || ![...ERROR_CLASSES.values()].includes(kind)) throw new Error(`a saved error of class ${String(kind)} cannot be restored here`);
  const error = makeError(kind);
  for (let i = 0; i < rest.length; i += 3) {
    const a = rest[i + 2] as number;
    Object.defineProperty(error, rest[i] as string, { value: rest[i + 1], writable: !!(a & WRITABLE), enumerable: !!(a & ENUMERABLE), configurable: !!(a & CONFIGURABLE) });
  }
  if ((flags as number) & NOT_EXTENSIBLE) Object.preventExtensions(error);
  return error;
}

/** A property's attributes as bits; an ordinary property (what `o.k = v` makes) has all three. */
const WRITABLE = 1, ENUMERABLE = 2, CONFIGURABLE = 4, ORDINARY = 7;
/** The flags of an exact form. */
const NOT_EXTENSIBLE = 1, NULL_PROTOTYPE = 2, ARRAY = 4, FIXED_LENGTH = 8;

const isArrayIndex = (key: string): boolean => {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 - 1 && String(n) === key;
};

/** The prototypes of the built-ins devalue saves by their contents alone (looked up: a `node:vm` realm lacks some). */
const BY_CONTENTS = new Set(
  ["Map", "Set", "Date", "RegExp", "ArrayBuffer", "DataView", "URL", "URLSearchParams", "Number", "String", "Boolean", "Int8Array", "Uint8Array",
    "Uint8ClampedArray", "Int16Array", "Uint16Array", "Float16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]
    .map((name) => (globalThis as unknown as Record<string, { prototype?: object } | undefined>)[name]?.prototype)
    .filter((proto) => proto !== undefined),
);

/** The built-in prototype devalue would save `v` as, found on its prototype chain (not through a Proxy); null for none. */
function contentsBase(v: object): object | null {
  for (let proto = Object.getPrototypeOf(v); proto !== null && !isProxy(proto); proto = Object.getPrototypeOf(proto)) if (BY_CONTENTS.has(proto)) return proto;
  return null;
}

/**
 * Whether devalue would save `v` (a built-in of `BY_CONTENTS`) as it is: an instance of a subclass would come back as
 * the base class, and own properties (a `RegExp`'s `lastIndex` past 0) or non-extensibility would be dropped (typed
 * arrays and String wrappers own their indices: only their class and extensibility are checked).
 */
function savedAsIs(v: object, base: object): boolean {
  if (base !== Object.getPrototypeOf(v) || !Object.isExtensible(v)) return false;
  return ArrayBuffer.isView(v) || base === String.prototype || Reflect.ownKeys(v).every((key) => key === "lastIndex" && (v as RegExp).lastIndex === 0);
}

/** A plain object (its prototype `Object.prototype` or null) or an array (`Array.prototype`): what the exact form covers. */
function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) return proto === Array.prototype || (Array.isArray(proto) && realmPrototype(proto, ARRAY_NAMES));
  return proto === Object.prototype || proto === null || (!isProxy(proto) && Object.getPrototypeOf(proto) === null && realmPrototype(proto, OBJECT_NAMES));
}

/**
 * Another realm's Object.prototype or Array.prototype, known by its own property names as devalue knows it: a
 * `node:vm` context's, or Node's own seen from Jest's test environment (what its `fetch(…).json()` returns). Such a
 * value is saved as a plain one and comes back one of this realm, as before the exact forms.
 */
const OBJECT_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join("\0");
const ARRAY_NAMES = Object.getOwnPropertyNames(Array.prototype).sort().join("\0");
const realmPrototype = (proto: object, names: string): boolean => !isProxy(proto) && Object.getOwnPropertyNames(proto).sort().join("\0") === names;

/**
 * Saving never runs user code and restores exactly or refuses: a Proxy (its traps), an accessor (its getter), a
 * symbol-keyed property or an object devalue would save without its prototype is refused; a plain object or array
 * whose properties are not all ordinary (read-only, hidden, not configurable, an array's named properties, an own
 * `__proto__`) or that is not extensible (frozen, sealed) gets its exact form — ordinary values cost no byte more.
 */
function exactForm(v: unknown): unknown[] | false {
  if (typeof v !== "function" && (typeof v !== "object" || v === null)) return false;
  if (isProxy(v)) throw new UnserializableError(pathTo(currentRoot, v), "a Proxy cannot be saved (saving would run its traps)");
  if (isTemplateObject(v)) throw new UnserializableError(pathTo(currentRoot, v), "a tagged template's strings array cannot be saved (it is its call site's own frozen object)");
  if (typeof v === "function" || !isPlain(v)) {
    const proto = Object.getPrototypeOf(v);
    // a Proxy as prototype is refused without asking it anything (its traps would run)
    if (Array.isArray(v) || (proto !== null && (isProxy(proto) || Object.getPrototypeOf(proto) === null)))
      throw new UnserializableError(pathTo(currentRoot, v), "an object whose prototype is not Object.prototype (or an array's not Array.prototype) cannot be saved");
    if (NativeBuffer?.isBuffer(v)) return false; // the Buffer reducer
    const base = contentsBase(v);
    if (base && !savedAsIs(v, base))
      throw new UnserializableError(pathTo(currentRoot, v), `a ${(Object.getOwnPropertyDescriptor(base, "constructor")?.value as { name?: string } | undefined)?.name} with own properties, not extensible or of a subclass cannot be saved (only its contents would be)`);
    return false; // class instances, Maps, Dates…: devalue and the reducers below
  }
  const array = Array.isArray(v);
  const keys = Reflect.ownKeys(v);
  let exact = !Object.isExtensible(v);
  for (const key of keys) {
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if (typeof key === "symbol") throw new UnserializableError(pathTo(currentRoot, v) + step(key, array), `a property keyed by a symbol (${String(key)}) cannot be saved`);
    if (!("value" in d)) throw new UnserializableError(pathTo(currentRoot, v) + step(key, array), "an accessor property (getter/setter) cannot be saved (saving would run its getter)");
    exact ||= array ? (key === "length" ? !d.writable : attributes(d) !== ORDINARY || !isArrayIndex(key)) : attributes(d) !== ORDINARY || key === "__proto__";
  }
  if (!exact) return false;
  const fixedLength = array && !Object.getOwnPropertyDescriptor(v, "length")!.writable;
  const flags = (Object.isExtensible(v) ? 0 : NOT_EXTENSIBLE) | (Object.getPrototypeOf(v) === null ? NULL_PROTOTYPE : 0) | (array ? ARRAY : 0) | (fixedLength ? FIXED_LENGTH : 0);
  const form: unknown[] = array ? [flags, (v as unknown[]).length] : [flags];
  for (const key of keys as string[]) {
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if (!(array && key === "length")) form.push(key, d.value, attributes(d));
  }
  // devalue revives a reduced value only after its contents: a reference back to it from inside cannot be revived
  if (childrenOf(v).some(([, child]) => reaches(child, v)))
    throw new UnserializableError(pathTo(currentRoot, v), "a frozen, sealed or non-extensible object (or one with read-only or hidden properties) inside a cycle through itself cannot be saved");
  return form;
}

const attributes = (d: PropertyDescriptor): number => (d.writable ? WRITABLE : 0) | (d.enumerable ? ENUMERABLE : 0) | (d.configurable ? CONFIGURABLE : 0);

/** The value an exact form describes (`exactForm`'s inverse). */
function fromExactForm([flags, ...rest]: unknown[]): object {
  const array = (flags as number) & ARRAY;
  const target: Record<string, unknown> = array ? [] : (flags as number) & NULL_PROTOTYPE ? Object.create(null) : {};
  if (array) (target as unknown as unknown[]).length = rest.shift() as number;
  for (let i = 0; i < rest.length; i += 3) {
    const a = rest[i + 2] as number;
    Object.defineProperty(target, rest[i] as string, { value: rest[i + 1], writable: !!(a & WRITABLE), enumerable: !!(a & ENUMERABLE), configurable: !!(a & CONFIGURABLE) });
  }
  if ((flags as number) & FIXED_LENGTH) Object.defineProperty(target, "length", { writable: false });
  if ((flags as number) & NOT_EXTENSIBLE) Object.preventExtensions(target);
  return target;
}

/** One reducer object for every call: devalue calls each reducer on every value it walks. */
const reducers = {
  Exact: exactForm,
  // its visible bytes only (a small Buffer is a view into a pool shared with other Buffers)
  Buffer: (v: unknown) => NativeBuffer?.isBuffer(v) === true && new Uint8Array(v),
  Err: errorForm,
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

/** A path step, written like devalue's paths: `.list`, `["a b"]`, `[0]`. */
const step = (key: PropertyKey, index: boolean): string =>
  index && typeof key === "string" && isArrayIndex(key) ? `[${key}]` : typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${typeof key === "string" ? JSON.stringify(key) : String(key)}]`;

/**
 * The values devalue walks inside `v`, each with its path step, read without running user code: data properties
 * only (no getter is called), nothing of a Proxy (no trap runs).
 */
function childrenOf(v: object): [string, unknown][] {
  if (isProxy(v)) return [];
  if (v instanceof Map) return [...v].flatMap(([key, value]): [string, unknown][] => [["", key], ["", value]]);
  if (v instanceof Set) return [...v].map((value): [string, unknown] => ["", value]);
  if (isNativeError(v) && ERROR_CLASSES.has(Object.getPrototypeOf(v)))
    return Object.entries(Object.getOwnPropertyDescriptors(v)).flatMap(([key, d]): [string, unknown][] => ("value" in d && key !== "stack" ? [[step(key, false), d.value]] : []));
  if (!isPlain(v)) return [];
  const array = Array.isArray(v);
  return Object.entries(Object.getOwnPropertyDescriptors(v)).flatMap(([key, d]): [string, unknown][] => ("value" in d && !(array && key === "length") ? [[step(key, array), d.value]] : []));
}

/** Whether `target` is `from` or inside it (as devalue would walk it). */
function reaches(from: unknown, target: object, seen = new Set<unknown>()): boolean {
  if (from === target) return true;
  if (typeof from !== "object" || from === null || seen.has(from)) return false;
  seen.add(from);
  return childrenOf(from).some(([, child]) => reaches(child, target, seen));
}

/** Where `target` sits in `root`, written like devalue's paths (`.list[0]`); "" when it is the root or not found. */
function pathTo(root: unknown, target: unknown, seen = new Set<unknown>()): string {
  if (root === target || typeof root !== "object" || root === null || seen.has(root)) return "";
  seen.add(root);
  for (const [key, value] of childrenOf(root)) {
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
  return writtenAsIs(value) ? `[${value}]` : undefined;
}

/** A value devalue writes as `${value}`: null, a boolean, a finite number but -0. */
function writtenAsIs(value: unknown): value is null | boolean | number {
  return value === null || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value) && !Object.is(value, -0));
}

/** A string devalue writes as it is, between quotes (nothing to escape, no lone surrogate). */
const PLAIN_STRING = /^[^"<\\\u0000-\u001f\u2028\u2029\ud800-\udfff]*$/;

/**
 * devalue's text of `record` — a plain object of our own making (the live
 * locals of a state) — when each of its values is `primitiveText`'s kind, a
 * plain string or undefined (the common locals: counters, ids, flags) without
 * its walk and the reducers it calls on every value; undefined for anything
 * else. Equal values share one slot, as devalue's do. Checked against devalue
 * in serialization.test.ts.
 */
function primitiveRecordText(record: Record<string, unknown>): string | undefined {
  const keys = Object.keys(record);
  if (keys.length > MAX_FAST_LOCALS) return undefined;
  let head = "";
  let tail = "";
  /** the values given a slot so far: slot i + 1 (no NaN nor -0 here: `indexOf` finds equal ones) */
  const slotted: unknown[] = [];
  for (const key of keys) {
    if (key === "__proto__" || !PLAIN_STRING.test(key)) return undefined;
    const value = record[key];
    let slot = -1; // undefined: devalue's UNDEFINED, no slot
    if (value !== undefined) {
      slot = slotted.indexOf(value) + 1;
      if (slot === 0) {
        if (typeof value === "string" && PLAIN_STRING.test(value)) tail += `,"${value}"`;
        else if (writtenAsIs(value)) tail += `,${value}`;
        else return undefined;
        slot = slotted.push(value);
      }
    }
    head += `${head === "" ? "" : ","}"${key}":${slot}`;
  }
  return `[{${head}}${tail}]`;
}

/** More locals than that go through devalue (the fast path looks equal values up one by one). */
const MAX_FAST_LOCALS = 64;

/** The language's error types a failure comes back as (by name; any other name is an `Error` with that name). */
const BUILT_IN_ERRORS = { TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError };

/**
 * An error made from its name, message, cause (and a StepError's `stepId`, a RetryAfterError's `retryAfter`): the
 * runtime's errors and the language's built-in ones by name, any other name an `Error` with an own `name`; no stack.
 */
function byName([name, message, cause, stepId, retryAfter]: [string, string, unknown, string?, unknown?]): Error {
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
}

/**
 * What a step's failure saves of the error it threw (semantics.md, "Retries and errors"): its name, message and cause
 * — `class PaymentError extends Error` comes back an `Error` named "PaymentError" —, a cause that is an error
 * likewise (one met again is dropped), the runtime's errors as their class with `stepId` / `retryAfter`. Its getters
 * run (`name`, `message`, `cause`): the error is the step's to describe, as a log line would.
 */
export function failureOf(error: Error, seen = new Set<Error>()): Error {
  seen.add(error);
  const cause: unknown = "cause" in error ? error.cause : undefined;
  const kept = cause instanceof Error ? (seen.has(cause) ? undefined : failureOf(cause, seen)) : cause;
  return byName([error.name, error.message, kept, (error as Partial<StepError>).stepId, (error as Partial<RetryAfterError>).retryAfter]);
}

/** `signal`: the one a revived Request gets. */
function revivers(bodies: readonly (Uint8Array | null)[], signal?: AbortSignal) {
  const body = (i: number) => (i < 0 ? null : bodies[i]!.slice());
  return {
    Exact: fromExactForm,
    Buffer: (bytes: Uint8Array) => {
      if (!NativeBuffer) throw new Error("a saved Buffer cannot be restored where there is no Buffer");
      return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    Err: fromErrorForm,
    // the form records written before the exact error form hold
    Error: byName,
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
  const text = primitiveRecordText(values);
  if (text !== undefined) return { text, bodies: NO_BODIES };
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
 * A property is made as a literal makes it, not assigned: an inherited setter or read-only property
 * (`Array.prototype[0]`, `Object.prototype.x`) neither runs nor blocks the restore. (Assigned when nothing is
 * inherited under that key: the same, faster.)
 */
const PARSE = {
  operations: {
    set(target: Record<string | number, unknown>, key: string | number, value: unknown) {
      if (key in target) Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
      else target[key] = value;
    },
  },
};

/**
 * Deserializes a value; a streamed Response comes back as its head (without
 * its body, which the store's stream holds). `signal`: the signal of the
 * Requests revived (a resumed execution's cancellation: no wrapper Request).
 */
export function deserialize<T = unknown>(text: string, signal?: AbortSignal): T {
  if (text.startsWith("S")) return deserialize<T>(streamedResponse(text)!.head);
  if (!text.startsWith("B")) return parse(text, revivers([], signal), PARSE) as T;
  const [inner, ...bodies] = JSON.parse(text.slice(1)) as [string, ...(string | null)[]];
  return parse(inner, revivers(bodies.map((b) => (b === null ? null : fromBase64(b))), signal), PARSE) as T;
}

interface NodeBuffer extends Uint8Array {
  toString(encoding?: "base64"): string;
}

/** Node's (and Bun's, Deno's) Buffer where there is one: native base64, not a string built one character at a time. */
const NativeBuffer = (
  globalThis as { Buffer?: { from(data: ArrayBufferLike | string, offsetOrEncoding?: number | "base64", length?: number): NodeBuffer; isBuffer(v: unknown): v is NodeBuffer } }
).Buffer;

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
