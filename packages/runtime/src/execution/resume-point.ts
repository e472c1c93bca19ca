/**
 * Where an execution stands in its machine and what a checkpoint must save to
 * resume there: `$.state`, `$.locals`, the step-id counters, and the live locals
 * as they were bound when the state was entered. Those are serialized only when a
 * checkpoint is written (serializing reads their properties: getters and proxy
 * traps of saved values run then, and only then — entering a state runs no user code).
 */

import type { MachineContext } from "../machine.js";
import { deserialize, finish, localOf, snapshot, snapshotLocals, UnserializableError, type Snapshot } from "../serialize.js";
import type { EndpointDef } from "../services.js";
import type { LocalsEdit, RunPatch, RunRecord } from "../store.js";
import type { StepTools } from "../types.js";
import { describeValue } from "../errors.js";

/**
 * `compiled`: the machine continues from the run's saved state. `replay`: the
 * handler (or the machine from state 0) runs from the top and recorded steps
 * are served by step id — plain handlers, and runs saved by another version.
 */
export type Mode = "compiled" | "replay";

export function modeOf(def: EndpointDef, run: RunRecord, fresh: boolean): Mode {
  return def.machine !== null && (fresh || run.version === def.machine.version) ? "compiled" : "replay";
}

const NO_LOCALS: Snapshot = snapshot({});
/** the inputs of a machine that re-creates no local (never written to) */
const NO_INPUTS: Record<string, unknown> = Object.freeze({});

/**
 * The key of the counters' text that carries what the run has seen of events (Seen), as
 * `[after, ts, id, ts, id, …]` (no step id holds a NUL).
 */
const SEEN_KEY = "\u0000seen";

/** The part of a checkpoint's run patch that moves the resume point (`locals` or an edit of them: none when unchanged). */
export type SavedPoint = Required<Pick<RunPatch, "state" | "counters">> & Pick<RunPatch, "locals" | "localsEdit">;

const NON_ASCII = /[^\x00-\x7f]/;
/** An edit is sent when it hands over at least this many characters fewer than the whole text (it has three numbers too). */
const EDIT_SAVES = 32;

/**
 * `next` as an edit of `stored` (see LocalsEdit): the part between their common start and common end.
 * Null when that is not much smaller than `next`, or when a text is not ASCII (stores count characters differently).
 */
function editOf(stored: string, next: string): LocalsEdit | null {
  if (next.length < EDIT_SAVES * 2 || NON_ASCII.test(next) || NON_ASCII.test(stored)) return null;
  const shorter = Math.min(stored.length, next.length);
  let at = 0;
  while (at < shorter && stored.charCodeAt(at) === next.charCodeAt(at)) at++;
  let tail = 0;
  while (tail < shorter - at && stored.charCodeAt(stored.length - 1 - tail) === next.charCodeAt(next.length - 1 - tail)) tail++;
  const text = next.slice(at, next.length - tail);
  return text.length + EDIT_SAVES <= next.length ? { length: stored.length, at, cut: stored.length - at - tail, text } : null;
}

export class ResumePoint {
  state: number;
  readonly locals: Record<string, unknown>;
  /** compiled, resumed, and still in the state it resumed at: its steps may already be in the store */
  resuming: boolean;
  private counters: Map<string, number>;
  /** the ids of `counters` as JSON (as many as there are counters) */
  private quotedIds = new Map<string, string>();
  /**
   * What the run has seen of events (received by a wait, or sent by itself), saved with the counters:
   * `after`, the latest clock reading at which it saw one — every wait it begins later began after that,
   * so events with an earlier `ts` were sent before it and never count —, and the ids of those it saw
   * with a `ts` of `after` or later (the same millisecond, or a `ts` ahead), kept out of later waits by id.
   */
  private seenAfter = -Infinity;
  private seen = new Map<string, number>();
  /** `counters` as JSON, or null when they changed since it was last computed */
  private countersText: string | null;
  /** state entries so far; `savedEntry` = the one whose (state, locals) the store holds */
  private entry = 0;
  private savedEntry = 0;
  /** what a checkpoint in the current state saves: the live locals' values when the state was entered… */
  private stateValues: Record<string, unknown> = {};
  /** …and, as they were then, the locals a re-created one's initializer reads (saved only when it is left out) */
  private stateInputs: Record<string, unknown> = {};
  /** …serialized at the first checkpoint (or as restored) */
  private stateLocals: Snapshot | null;
  private stateCounters: string | null;
  /** the `locals` text the store holds (compiled mode, a store that takes edits): a checkpoint hands over only what changed in it */
  private storedLocals: string | null;

  constructor(
    private readonly def: EndpointDef,
    run: RunRecord,
    private readonly mode: Mode,
    fresh: boolean,
    /** the store applies `RunPatch.localsEdit` (Store.localsEdits) */
    private readonly edits: boolean,
  ) {
    this.resuming = mode === "compiled" && !fresh;
    if (mode === "compiled") {
      this.state = run.state;
      this.locals = run.locals ? deserialize<Record<string, unknown>>(run.locals) : {};
      this.counters = new Map(run.counters ? Object.entries(JSON.parse(run.counters) as Record<string, number>) : []);
      const seen = this.counters.get(SEEN_KEY) as unknown as (number | string)[] | undefined;
      if (seen) {
        this.counters.delete(SEEN_KEY);
        this.seenAfter = seen[0] as number;
        for (let i = 1; i < seen.length; i += 2) this.seen.set(seen[i + 1] as string, seen[i] as number);
      }
      this.stateLocals = run.locals ? { text: run.locals, bodies: [] } : NO_LOCALS;
      this.stateCounters = run.counters;
    } else {
      this.state = 0;
      this.locals = {};
      this.counters = new Map();
      this.stateLocals = NO_LOCALS;
      this.stateCounters = null;
    }
    this.countersText = this.stateCounters;
    this.storedLocals = mode === "compiled" && edits ? run.locals : null;
  }

  /** The whole text the last checkpoint's `localsEdit` stands for (what a retry of that checkpoint writes instead). */
  get lastLocals(): string | undefined {
    return this.storedLocals ?? undefined;
  }

  /** The machine's `$`: assigning `$.state` enters a new resume point. */
  context(step: StepTools): MachineContext {
    const point = this;
    return {
      get state() {
        return point.state;
      },
      set state(next: number) {
        point.enter(next);
      },
      locals: this.locals,
      step,
    };
  }

  /** The stable id of the next call of step `id`: `id`, then `id:1`, `id:2`… */
  nextId(id: string): string {
    checkStepId(id);
    const n = this.counters.get(id) ?? 0;
    this.counters.set(id, n + 1);
    this.countersText = null;
    return n === 0 ? id : `${id}:${n}`;
  }

  /**
   * Where a wait beginning at `now` starts counting events: not before the run last saw one (those sent
   * earlier were sent before this wait began, whatever this clock says now), and never the events it saw
   * (`seen`: ids, null when none) — they were sent before it began.
   */
  waitStart(now: number): { since: number; seen: string[] | null } {
    const since = Math.max(now, this.seenAfter);
    let seen: string[] | null = null;
    for (const [id, ts] of this.seen) if (ts >= since) (seen ??= []).push(id);
    return { since, seen };
  }

  /** The run saw `event` at `now` (this clock): a wait handed it to the handler, or the run sent it. */
  saw(event: { id: string; ts: number }, now: number): void {
    if (now > this.seenAfter) {
      this.seenAfter = now;
      // an earlier `ts` is kept out of every later wait by `since` now
      for (const [id, ts] of this.seen) if (ts < now) this.seen.delete(id);
      this.countersText = null;
    }
    if (event.ts >= this.seenAfter && this.seen.get(event.id) !== event.ts) {
      this.seen.set(event.id, event.ts);
      this.countersText = null;
    }
  }

  /**
   * The resume point a checkpoint must write, or null when the store holds it
   * already (several steps settling in one state share it). `checkSize` throws
   * past the limits; unsaveable locals throw the error that names them.
   */
  unsaved(checkSize: (text: string, what: string) => void): SavedPoint | Promise<SavedPoint> | null {
    if (this.mode !== "compiled" || this.savedEntry === this.entry) return null;
    const locals = this.serializedLocals();
    const saved = (text: string): SavedPoint => {
      checkSize(text, `the captured locals of state ${this.state}`);
      if (this.stateCounters !== null) checkSize(this.stateCounters, "the step-id counters (one entry per distinct step id)");
      this.savedEntry = this.entry;
      const point: SavedPoint = { state: this.state, counters: this.stateCounters };
      const stored = this.storedLocals;
      if (this.edits) this.storedLocals = text;
      if (text === stored) return point;
      const edit = stored === null ? null : editOf(stored, text);
      if (edit) point.localsEdit = edit;
      else point.locals = text;
      return point;
    };
    const text = finish(locals);
    return typeof text === "string" ? saved(text) : text.then(saved);
  }

  /** The current state's live locals, serialized now (at a checkpoint); unsaveable ones throw the error naming them. */
  private serializedLocals(): Snapshot {
    if (this.stateLocals) return this.stateLocals;
    try {
      return (this.stateLocals = snapshotLocals(this.stateValues, this.stateInputs, this.def.machine!.recreate));
    } catch (error) {
      throw this.describeUnsaveable(error, this.state);
    }
  }

  /** `$.state = S`: a new resume point. Keep what a checkpoint in S must save (the values, not yet serialized). */
  private enter(next: number): void {
    this.state = next;
    if (this.mode !== "compiled") return;
    this.resuming = false;
    this.entry++;
    if (this.countersText === null) this.countersText = this.countersJson();
    this.stateCounters = this.countersText;
    const live = this.def.machine!.live[next] ?? [];
    if (live.length === 0) {
      this.stateLocals = NO_LOCALS;
      return;
    }
    const saved: Record<string, unknown> = {};
    const recreate = this.def.machine!.recreate;
    const inputs: Record<string, unknown> = recreate ? {} : NO_INPUTS;
    for (const name of live) {
      if (name in this.locals) saved[name] = this.locals[name];
      if (recreate && Object.hasOwn(recreate, name)) for (const input of recreate[name]!) if (input in this.locals) inputs[input] = this.locals[input];
    }
    this.stateValues = saved;
    this.stateInputs = inputs;
    this.stateLocals = null;
  }

  /** The counters (and the events seen) as a JSON object, written here: they change at every step. */
  private countersJson(): string {
    let text = "";
    for (const [id, n] of this.counters) {
      let quoted = this.quotedIds.get(id);
      if (quoted === undefined) this.quotedIds.set(id, (quoted = JSON.stringify(id)));
      text += `${text === "" ? "{" : ","}${quoted}:${n}`;
    }
    if (this.seenAfter !== -Infinity) {
      const seen = [this.seenAfter, ...[...this.seen].flatMap(([id, ts]) => [ts, id])];
      text += `${text === "" ? "{" : ","}${JSON.stringify(SEEN_KEY)}:${JSON.stringify(seen)}`;
    }
    return text === "" ? "{}" : `${text}}`;
  }

  private describeUnsaveable(error: unknown, state: number): Error {
    if (!(error instanceof UnserializableError)) return error as Error;
    const name = localOf(error.path) ?? error.path;
    const line = this.def.machine?.steps?.find((s) => s.state === state)?.line;
    const where = `state ${state}${line ? ` (the await on line ${line})` : ""} of endpoint "${this.def.id}"`;
    const at = error.path.length > name.length + 1 ? ` at ${name}${error.path.slice(name.length + 1)}` : "";
    return new Error(`Cannot checkpoint ${where}: local "${name}" holds ${error.detail}${at}`);
  }
}

/** Step ids go to the store as they are: refused up front when it could not hold them. */
export const MAX_STEP_ID_LENGTH = 512;

function checkStepId(id: unknown): asserts id is string {
  if (typeof id !== "string" || id === "") throw new TypeError(`A step id must be a non-empty string (got ${describeValue(id)})`);
  if (id.length > MAX_STEP_ID_LENGTH) throw new TypeError(`A step id must be at most ${MAX_STEP_ID_LENGTH} characters (got ${id.length}: ${JSON.stringify(id.slice(0, 40))}…)`);
  if (id.includes("\u0000")) throw new TypeError(`A step id must not contain a NUL character (got ${JSON.stringify(id)})`);
}
