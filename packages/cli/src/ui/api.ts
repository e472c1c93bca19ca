/**
 * What the inspector's HTTP API answers: the page (ui/) imports these types,
 * the server (this folder) produces them. Plain JSON, no classes.
 */
import type { RunStatus } from "@durable-endpoints/runtime";
import type { MessageView, StepView } from "../run-view.js";

/** A decoded value, tagged so the page can show a Date, a Map or an Error as such. */
export type ValueView =
  | { t: "string"; v: string; /** characters left out */ cut?: number }
  | { t: "number"; v: string }
  | { t: "boolean"; v: boolean }
  | { t: "null" }
  | { t: "undefined" }
  | { t: "bigint"; v: string }
  | { t: "date"; v: string }
  | { t: "regexp"; v: string }
  | { t: "url"; v: string }
  | { t: "error"; name: string; message: string; cause?: ValueView }
  | { t: "array"; size: number; items: ValueView[] }
  | { t: "object"; name?: string; size: number; entries: [string, ValueView][] }
  | { t: "map"; size: number; entries: [ValueView, ValueView][] }
  | { t: "set"; size: number; items: ValueView[] }
  | { t: "bytes"; name: string; size: number; hex: string }
  | { t: "headers"; entries: [string, string][] }
  | { t: "request"; method: string; url: string; headers: [string, string][] }
  | { t: "response"; status: number; headers: [string, string][] }
  /** a reference back to an enclosing value (a cycle) */
  | { t: "cycle" }
  /** too deep or too large to show */
  | { t: "cut" };

export interface RunSummary {
  id: string;
  endpoint: string;
  status: RunStatus;
  state: number;
  stepsDone: number;
  /** the Idempotency-Key as its caller sent it (stored scoped per caller) */
  idempotencyKey: string | null;
  createdAt: number;
  updatedAt: number;
  wakeAt: number | null;
}

export interface RunPage {
  runs: RunSummary[];
}

/** A request or a response: method and URL, or status; headers; the body as text (maybe truncated). */
export type { MessageView as Message } from "../run-view.js";

/** A step as `durable run` describes it, its output as a value view under the name that says what it is. */
export interface StepDetail extends Omit<StepView, "output"> {
  /** completed step.run: its result; a resolved waitForEvent: the event (null: timed out) */
  result?: ValueView;
  /** failed or retrying step.run: the (last) error */
  error?: ValueView;
}

/** The module of a compiled endpoint, compiled again to map machine states to source lines. */
export interface SourceDetail {
  /** module path relative to the inspector's root, as in the endpoint id */
  file: string;
  lines: string[];
  /** version of the machine compiled from the module as it is now */
  version: string;
  /** the module changed since the run started: lines may not match */
  stale: boolean;
  /** per state: the awaits (steps) it starts with, the locals it saves, the source lines its code comes from */
  states: { state: number; steps: { id: string; kind: string; line: number }[]; captured: string[]; lines: number[] }[];
}

/** An open `step.waitForEvent`: what event it waits for, and one that would match. */
export interface WaitDetail {
  stepId: string;
  event: string;
  /** "data.x": the event's data.x must equal the run's trigger data.x … */
  match: string | null;
  /** … which is this value */
  matchValue?: ValueView;
  /** CEL condition over `event` (the trigger) and `async` (the incoming event) */
  expr: string | null;
  timeoutAt: number;
  /** `data` for an event that satisfies `match` (an `if` condition is not solved for) */
  exampleData: Record<string, unknown>;
}

export interface RunDetail extends RunSummary {
  version: string | null;
  lease: { owner: string; expiresAt: number | null } | null;
  /** the endpoint's concurrency limit and this run's key: a due run may be queued for a slot */
  concurrency: { key: string; limit: number } | null;
  request: MessageView;
  trigger: ValueView;
  locals: [string, ValueView][];
  steps: StepDetail[];
  waits: WaitDetail[];
  /** a sleep or a retry backoff of this waiting run can be cut short ("wake now") */
  canWake: boolean;
  /** running or waiting: it can be cancelled */
  canCancel: boolean;
  /** failed: it can be retried from where it failed */
  canRetry: boolean;
  /**
   * waiting, due now and executed by no process: it waits for a process serving its endpoint to pick it
   * up (the inspector runs no handlers) — e.g. right after a retry, or with no app running
   */
  due: boolean;
  response: MessageView | null;
  /** the module mapped to states, or why it is not shown */
  source: SourceDetail | { unavailable: string };
}

export interface ServerInfo {
  /** the store URL, password removed */
  store: string;
}

/** POST /api/events: an event to send (as `inngest.send` takes it). */
export interface SendEventRequest {
  name: string;
  data?: Record<string, unknown>;
  id?: string;
}

export interface SendEventAnswer {
  ids: string[];
  /** runs whose waits it resolved */
  woken: string[];
}

/** POST /api/runs/<id>/cancel: why, shown to whoever polls the run (optional, at most 1,000 characters). */
export interface CancelRequest {
  reason?: string;
}

/** POST /api/runs/<id>/cancel and …/retry: the run's status now, and whether this call changed it. */
export interface RunControlAnswer {
  runId: string;
  status: RunStatus;
  changed: boolean;
}

/** Every error answer: `{ error }` with a 4xx/5xx status. */
export interface ApiError {
  error: string;
}
