/**
 * Event delivery for `step.waitForEvent`: `match` ("data.x" equal on both
 * events) and `if` (a CEL expression over `event` = the trigger and `async` =
 * the incoming event, evaluated by @marcbachmann/cel-js — never eval'ed).
 */

import { parse } from "@marcbachmann/cel-js";
import type { Clock } from "./clock.js";
import { randomId } from "./crypto.js";
import { serialize } from "./serialize.js";
import type { Store, WaitRecord } from "./store.js";
import type { DurableEvent, EventPayload } from "./types.js";

type Condition = (context: Record<string, unknown>) => unknown;

const compiled = new Map<string, Condition>();
const MATCH_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

function compileExpression(expression: string): Condition {
  let condition = compiled.get(expression);
  if (!condition) {
    condition = parse(expression) as unknown as Condition;
    compiled.set(expression, condition);
  }
  return condition;
}

/** Validates `if` and `match` when waitForEvent is called; throws a clear error. */
export function compileCondition(expression: string | undefined, match: string | undefined, stepId: string): void {
  if (match !== undefined && (typeof match !== "string" || !MATCH_PATH.test(match))) {
    throw new TypeError(`step.waitForEvent("${stepId}"): "match" must be a property path like "data.userId" (got ${JSON.stringify(match)})`);
  }
  if (expression === undefined) return;
  if (typeof expression !== "string") throw new TypeError(`step.waitForEvent("${stepId}"): "if" must be a CEL expression string`);
  try {
    compileExpression(expression);
  } catch (error) {
    throw new SyntaxError(`step.waitForEvent("${stepId}"): invalid "if" expression ${JSON.stringify(expression)}: ${(error as Error).message}`);
  }
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

export function normalizeEvent(payload: EventPayload, now: number): DurableEvent {
  if (payload === null || typeof payload !== "object" || typeof payload.name !== "string" || payload.name === "") {
    throw new TypeError(`inngest.send(): every event needs a non-empty "name"`);
  }
  const data = payload.data ?? {};
  if (data === null || typeof data !== "object") throw new TypeError(`inngest.send(): "data" of event "${payload.name}" must be an object`);
  return { name: payload.name, data, id: payload.id ?? randomId(), ts: payload.ts ?? now };
}

/** Persists events (deduplicated by id) and resolves the waits they satisfy. Returns the resolved run ids. */
export async function deliverEvents(store: Store, events: DurableEvent[], clock: Clock): Promise<string[]> {
  const woken: string[] = [];
  const triggers = new Map<string, DurableEvent | null>();
  for (const event of events) {
    const data = JSON.stringify(event.data);
    if (!(await store.insertEvent({ id: event.id, name: event.name, data, ts: event.ts }))) continue;
    const output = await serialize(event);
    for (const wait of await store.findWaits(event.name, event.ts)) {
      if (!triggers.has(wait.runId)) {
        const run = await store.getRun(wait.runId);
        triggers.set(wait.runId, run ? { name: "http/request", data: JSON.parse(run.trigger), id: run.id, ts: run.createdAt } : null);
      }
      const trigger = triggers.get(wait.runId);
      if (!trigger || !matches(wait, trigger, event)) continue;
      if (await store.resolveWait(wait.runId, wait.stepId, output, clock.now())) woken.push(wait.runId);
    }
  }
  return woken;
}
