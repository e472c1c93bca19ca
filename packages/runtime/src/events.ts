/**
 * Event delivery for `step.waitForEvent`: `match` ("data.x" equal on both
 * events) and `if` (a CEL expression over `event` = the trigger and `async` =
 * the incoming event, evaluated by @marcbachmann/cel-js — never eval'ed; its
 * `matches` runs on RE2JS, a linear-time regex engine, so no pattern and no
 * event can make it backtrack for ever).
 *
 * Stores deliver atomically (see `Store.sendEvents` and waits registered by a
 * checkpoint) and ask this module, through an EventMatcher, which waits an
 * event satisfies: candidates are found by index (event name, match path, the
 * key of the value there), never by reading every wait.
 */

import { Environment, parse, serialize as printCel } from "@marcbachmann/cel-js";
import { RE2JS } from "re2js";
import { realClock, type Clock } from "./clock.js";
import { randomId } from "./crypto.js";
import { finish, snapshot } from "./serialize.js";
import type { EventMatcher, EventRecord, Store, WaitRecord } from "./store.js";
import type { DurableEvent, EventPayload } from "./types.js";

type Condition = (context: Record<string, unknown>) => unknown;

/** Parsed `if` expressions and compiled `matches` patterns kept at most (least recently used dropped first). */
const CACHE_SIZE = 1000;
/** Longest event name or id, `if` expression: they go to the store as they are. */
const MAX_NAME_LENGTH = 512;
const MAX_EXPRESSION_LENGTH = 4096;
const MATCH_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** A map that forgets its least recently used entries past `size`. */
class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string, make: () => V): V {
    let value = this.entries.get(key);
    if (value !== undefined) this.entries.delete(key);
    else value = make();
    this.entries.set(key, value);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

const patterns = new Lru<RE2JS>(CACHE_SIZE);
const conditions = new Lru<Condition>(CACHE_SIZE);

/** `s.matches(p)` of CEL (RE2 syntax, as the CEL spec says), in linear time. */
const LINEAR_MATCHES = "durable_matches";
const cel = new Environment({ unlistedVariablesAreDyn: true }).registerFunction(`${LINEAR_MATCHES}(string, string): bool`, (text: string, pattern: string) =>
  patterns.get(pattern, () => RE2JS.compile(pattern)).matcher(text).find(),
);

type CelNode = { op: string; args: unknown };

/** The expression's tree with every `x.matches(p)` call turned into `durable_matches(x, p)`. */
function withLinearMatches(node: unknown): unknown {
  if (node === null || typeof node !== "object" || !("op" in node)) return node;
  const { op, args } = node as CelNode;
  if (op === "rcall" && Array.isArray(args) && args[0] === "matches") {
    return { ...node, op: "call", args: [LINEAR_MATCHES, [withLinearMatches(args[1]), ...(args[2] as unknown[]).map(withLinearMatches)]] };
  }
  if (!Array.isArray(args)) return node;
  return { ...node, args: args.map((arg) => (Array.isArray(arg) ? arg.map(withLinearMatches) : withLinearMatches(arg))) };
}

function compileExpression(expression: string): Condition {
  return conditions.get(expression, () => cel.parse(printCel(withLinearMatches(parse(expression).ast) as never)) as unknown as Condition);
}

/** Validates `if` and `match` when waitForEvent is called; throws a clear error. */
export function compileCondition(expression: string | undefined, match: string | undefined, stepId: string): void {
  if (match !== undefined && (typeof match !== "string" || !MATCH_PATH.test(match) || match.length > MAX_NAME_LENGTH)) {
    throw new TypeError(`step.waitForEvent("${stepId}"): "match" must be a property path like "data.userId" (got ${JSON.stringify(match)})`);
  }
  if (expression === undefined) return;
  if (typeof expression !== "string") throw new TypeError(`step.waitForEvent("${stepId}"): "if" must be a CEL expression string`);
  if (expression.length > MAX_EXPRESSION_LENGTH || expression.includes("\u0000")) {
    throw new TypeError(`step.waitForEvent("${stepId}"): "if" must be at most ${MAX_EXPRESSION_LENGTH} characters, without NUL`);
  }
  try {
    compileExpression(expression);
  } catch (error) {
    throw new SyntaxError(`step.waitForEvent("${stepId}"): invalid "if" expression ${JSON.stringify(expression)}: ${(error as Error).message}`);
  }
}

/** Event names and ids go to the store as they are: refused up front when it could not hold them. */
export function checkEventName(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || value === "") throw new TypeError(`${what} must be a non-empty string (got ${JSON.stringify(value)})`);
  if (value.length > MAX_NAME_LENGTH) throw new TypeError(`${what} must be at most ${MAX_NAME_LENGTH} characters (got ${value.length})`);
  if (value.includes("\u0000")) throw new TypeError(`${what} must not contain a NUL character`);
}

const pathValue = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), value);

/** Does `incoming` satisfy the wait, given the run's trigger event? */
export function matches(wait: WaitRecord, trigger: DurableEvent, incoming: DurableEvent): boolean {
  if (wait.match !== null) {
    const expected = pathValue(trigger, wait.match);
    if (expected === undefined || pathValue(incoming, wait.match) !== expected) return false;
  }
  if (wait.expr !== null) {
    try {
      return compileExpression(wait.expr)({ event: trigger, async: incoming }) === true;
    } catch {
      return false; // e.g. a field missing from this event: no match
    }
  }
  return true;
}

/**
 * The index key of the value at a `match` path: equal values (`===`, as
 * `matches` compares) have equal keys; null for what can never match (nothing
 * there, an object). A short hash: a collision only adds a candidate, which
 * `matches` then turns down.
 */
export function matchKey(value: unknown): string | null {
  if (value === undefined || (typeof value === "object" && value !== null) || typeof value === "function") return null;
  const text = `${typeof value}:${String(value)}`;
  // cyrb53
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** The trigger event of a run, as `match` and `if` see it. */
export function triggerEvent(runId: string, trigger: string, createdAt: number): DurableEvent {
  return { name: "http/request", data: JSON.parse(trigger) as Record<string, unknown>, id: runId, ts: createdAt };
}

const incomingEvent = (event: EventRecord): DurableEvent => ({ name: event.name, data: JSON.parse(event.data) as Record<string, unknown>, id: event.id, ts: event.ts });

/** What stores ask while delivering (one matcher per delivery: parsed events and triggers are kept for its duration). */
export function eventMatcher(): EventMatcher {
  const events = new Map<string, DurableEvent>();
  const triggers = new Map<string, DurableEvent>();
  const incoming = (event: EventRecord) => events.get(event.id) ?? events.set(event.id, incomingEvent(event)).get(event.id)!;
  return {
    key: (event, path) => matchKey(pathValue(incoming(event), path)),
    accept(wait, run, event) {
      let trigger = triggers.get(wait.runId);
      if (!trigger) triggers.set(wait.runId, (trigger = triggerEvent(wait.runId, run.trigger, run.createdAt)));
      if (wait.seen?.includes(event.id)) return null;
      const delivered = incoming(event);
      if (!matches(wait, trigger, delivered)) return null;
      // plain JSON data: serialized synchronously (no bodies to read)
      return finish(snapshot(delivered)) as string;
    },
  };
}

/** The key a new wait is indexed under: that of the trigger's value at its `match` path. */
export function waitMatchKey(trigger: DurableEvent, match: string | undefined): string | null {
  return match === undefined ? null : matchKey(pathValue(trigger, match));
}

export function normalizeEvent(payload: EventPayload, now: number): DurableEvent {
  if (payload === null || typeof payload !== "object" || typeof payload.name !== "string" || payload.name === "") {
    throw new TypeError(`inngest.send(): every event needs a non-empty "name"`);
  }
  checkEventName(payload.name, `inngest.send(): an event's "name"`);
  const data = payload.data ?? {};
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new TypeError(`inngest.send(): "data" of event "${payload.name}" must be an object`);
  const id = payload.id ?? randomId();
  checkEventName(id, `inngest.send(): the "id" of event "${payload.name}"`);
  const ts = payload.ts ?? now;
  if (typeof ts !== "number" || !Number.isFinite(ts)) throw new TypeError(`inngest.send(): the "ts" of event "${payload.name}" must be epoch milliseconds (got ${String(ts)})`);
  return { name: payload.name, data, id, ts: Math.round(ts) };
}

/** The event as stored; its data must be JSON. */
export function eventRecord(event: DurableEvent): EventRecord {
  let data: string;
  try {
    data = JSON.stringify(event.data);
  } catch (error) {
    throw new TypeError(`inngest.send(): the "data" of event "${event.name}" must be JSON-serializable: ${(error as Error).message}`);
  }
  return { id: event.id, name: event.name, data, ts: event.ts };
}

/**
 * `inngest.send()` for tools that work on a store directly, without a client
 * (the run inspector): persists the events and resolves the waits they match.
 * The runs they wake are resumed by the instances that serve their endpoints.
 */
export async function sendEvents(store: Store, events: EventPayload | EventPayload[], clock: Clock = realClock): Promise<{ ids: string[]; woken: string[] }> {
  const list = (Array.isArray(events) ? events : [events]).map((e) => normalizeEvent(e, clock.now()));
  const woken = await store.sendEvents(list.map(eventRecord), eventMatcher(), clock.now());
  return { ids: list.map((e) => e.id), woken };
}
