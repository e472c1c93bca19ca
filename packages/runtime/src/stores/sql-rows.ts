/**
 * Row <-> record mapping shared by the SQLite and Postgres stores. Both use the
 * same snake_case columns; Postgres returns BIGINT columns as strings, so every
 * numeric column goes through `Number()`.
 */
import type { EventRecord, LocalsEdit, RunPatch, RunRecord, StepRecord, WaitRecord } from "../store.js";

type Row = Record<string, unknown>;

export const RUN_COLUMNS = [
  "id", "endpoint", "version", "status", "state", "locals", "counters", "request", "trigger_data",
  "idempotency_key", "request_hash", "result", "wake_at", "lease_owner", "lease_expires_at", "fence",
  "steps_done", "created_at", "updated_at", "concurrency_key", "concurrency_limit",
] as const;

export const STEP_COLUMNS = ["run_id", "id", "kind", "status", "attempts", "output", "wake_at", "started_at", "updated_at"] as const;

export const WAIT_COLUMNS = ["run_id", "step_id", "event", "match", "match_key", "expr", "since", "seen", "timeout_at"] as const;

/** `ON CONFLICT (key) DO UPDATE SET c = excluded.c, …` for every column but the key and `keep` (both dialects). */
function onConflictUpdate(columns: readonly string[], key: readonly string[], keep: readonly string[] = []): string {
  const updated = columns.filter((c) => !key.includes(c) && !keep.includes(c));
  return `ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${updated.map((c) => `${c} = excluded.${c}`).join(", ")}`;
}

/** A step upsert keeps the time its first attempt started. */
export const STEP_ON_CONFLICT = onConflictUpdate(STEP_COLUMNS, ["run_id", "id"], ["started_at"]);
export const WAIT_ON_CONFLICT = onConflictUpdate(WAIT_COLUMNS, ["run_id", "step_id"]);

export const EVENT_COLUMNS = ["id", "name", "data", "ts"] as const;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function runFromRow(r: Row): RunRecord {
  return {
    id: String(r.id),
    endpoint: String(r.endpoint),
    version: strOrNull(r.version),
    status: r.status as RunRecord["status"],
    state: num(r.state),
    locals: strOrNull(r.locals),
    counters: strOrNull(r.counters),
    request: String(r.request),
    trigger: String(r.trigger_data),
    idempotencyKey: strOrNull(r.idempotency_key),
    requestHash: String(r.request_hash),
    result: strOrNull(r.result),
    wakeAt: numOrNull(r.wake_at),
    leaseOwner: strOrNull(r.lease_owner),
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    fence: num(r.fence),
    stepsDone: num(r.steps_done),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    concurrency: r.concurrency_key === null || r.concurrency_key === undefined ? null : { key: String(r.concurrency_key), limit: num(r.concurrency_limit) },
  };
}

/** Values in {@link RUN_COLUMNS} order. */
export function runValues(run: RunRecord): unknown[] {
  return [
    run.id, run.endpoint, run.version, run.status, run.state, run.locals, run.counters, run.request, run.trigger,
    run.idempotencyKey, run.requestHash, run.result, run.wakeAt, run.leaseOwner, run.leaseExpiresAt, run.fence,
    run.stepsDone, run.createdAt, run.updatedAt, run.concurrency?.key, run.concurrency?.limit,
  ].map(nullify);
}

export function stepFromRow(r: Row): StepRecord {
  return {
    runId: String(r.run_id),
    id: String(r.id),
    kind: r.kind as StepRecord["kind"],
    status: r.status as StepRecord["status"],
    attempts: num(r.attempts),
    output: strOrNull(r.output),
    wakeAt: numOrNull(r.wake_at),
    startedAt: num(r.started_at),
    updatedAt: num(r.updated_at),
  };
}

/** Values in {@link STEP_COLUMNS} order. */
export function stepValues(s: StepRecord): unknown[] {
  return [s.runId, s.id, s.kind, s.status, s.attempts, s.output, s.wakeAt, s.startedAt, s.updatedAt].map(nullify);
}

export function waitFromRow(r: Row): WaitRecord {
  return {
    runId: String(r.run_id),
    stepId: String(r.step_id),
    event: String(r.event),
    match: strOrNull(r.match),
    matchKey: strOrNull(r.match_key),
    expr: strOrNull(r.expr),
    since: num(r.since),
    seen: r.seen === null || r.seen === undefined ? null : (JSON.parse(String(r.seen)) as string[]),
    timeoutAt: num(r.timeout_at),
  };
}

/** Values in {@link WAIT_COLUMNS} order. */
export function waitValues(w: WaitRecord): unknown[] {
  return [w.runId, w.stepId, w.event, w.match, w.matchKey, w.expr, w.since, w.seen && JSON.stringify(w.seen), w.timeoutAt].map(nullify);
}

export function eventFromRow(r: Row): EventRecord {
  return { id: String(r.id), name: String(r.name), data: String(r.data), ts: num(r.ts) };
}

/** Values in {@link EVENT_COLUMNS} order. */
export function eventValues(e: EventRecord): unknown[] {
  return [e.id, e.name, e.data, e.ts];
}

const PATCH_COLUMNS: { [K in Exclude<keyof RunPatch, "localsEdit">]-?: string } = {
  status: "status",
  state: "state",
  locals: "locals",
  counters: "counters",
  result: "result",
  wakeAt: "wake_at",
  stepsDone: "steps_done",
  version: "version",
};

/**
 * The new `locals` an edit makes of the stored one, as an SQL expression (`param` writes a parameter's
 * placeholder); SQLite's and Postgres' `substr` both count characters, from 1.
 */
export function editedLocals(edit: LocalsEdit, param: (value: unknown) => string): string {
  return `substr(locals, 1, CAST(${param(edit.at)} AS integer)) || CAST(${param(edit.text)} AS text) || substr(locals, CAST(${param(edit.at + edit.cut + 1)} AS integer))`;
}

/** The columns a patch sets (keys whose value is `undefined` are left alone, and so is `localsEdit`) and their values. */
export function patchColumns(patch: RunPatch): { columns: string[]; values: unknown[] } {
  const columns: string[] = [];
  const values: unknown[] = [];
  for (const key of Object.keys(PATCH_COLUMNS) as (keyof typeof PATCH_COLUMNS)[]) {
    if (patch[key] === undefined) continue;
    columns.push(PATCH_COLUMNS[key]);
    values.push(patch[key]);
  }
  return { columns, values };
}

// Drivers reject `undefined` parameters; the records use null for "absent".
function nullify(v: unknown): unknown {
  return v === undefined ? null : v;
}
