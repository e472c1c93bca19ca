/**
 * The storage interface every store (memory, SQLite, Postgres) implements.
 *
 * Stores are deliberately dumb: they persist opaque strings produced by the
 * engine's serializer and enforce the few invariants that need atomicity —
 * leases with fencing tokens, one-transaction checkpoints, event dedupe and
 * "complete a wait at most once". All policy (retries, backoff, matching
 * events, timeouts) lives in the engine.
 *
 * Times are milliseconds since the epoch (numbers). Every method may be called
 * concurrently from many runs; implementations must be safe under that and,
 * for shared stores, across processes. The store conformance suite
 * (`packages/runtime/test/stores/conformance.ts`) is the executable version of
 * this contract; `stores/memory.ts` is the reference implementation.
 *
 * A store that is unavailable (connection lost, server restarting, database
 * busy) rejects with an error whose `retriable` property is `true`: a request
 * is then answered 503 + Retry-After. Any other error is a failure (500).
 */

/**
 * A store error that says "try again later" (connection lost, restart,
 * timeout, lock held): stores mark them `retriable: true`. Any other store
 * error will recur — invalid data for the store, a value out of range.
 */
export function isTransientStoreError(error: unknown): boolean {
  return error instanceof Error && (error as { retriable?: unknown }).retriable === true;
}

export type RunStatus =
  /** executing, or ready to execute (a lease may be held) */
  | "running"
  /** suspended until `wakeAt` (sleep, retry backoff, wait timeout) or an event */
  | "waiting"
  /** finished: `result` holds the final Response */
  | "completed"
  /** finished with an uncaught error: `result` holds the error Response */
  | "failed"
  /** stopped by `cancelRun`: `result` holds the Response polls and re-attaches get */
  | "cancelled";

/** Completed, failed or cancelled: the run has its final Response and never executes again (unless retried). */
export const isFinished = (run: Pick<RunRecord, "status">): boolean => run.status !== "running" && run.status !== "waiting";

export interface RunRecord {
  id: string;
  /** endpoint id: machine id, or `<client id>:<request path>` for uncompiled handlers */
  endpoint: string;
  /** machine version that started the run; null for uncompiled handlers */
  version: string | null;
  status: RunStatus;
  /** resume point (compiled mode); 0 for a new run */
  state: number;
  /** serialized captured locals of `state` (engine encoding) */
  locals: string | null;
  /** serialized step-ID counters as of entering `state` */
  counters: string | null;
  /** serialized request snapshot (method, url, safe headers, body) */
  request: string;
  /** JSON trigger data (`{ query…, …json body }`), used by waitForEvent `match`/`if` */
  trigger: string;
  idempotencyKey: string | null;
  /** hash of the request that created the run, to detect a reused Idempotency-Key (422) */
  requestHash: string;
  /** serialized final Response once completed/failed */
  result: string | null;
  /** when the run should be resumed (status "waiting"), else null */
  wakeAt: number | null;
  /** lease holder (an opaque process/instance id) and its expiry */
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** fencing token: incremented on every lease acquisition */
  fence: number;
  /** step.run outcomes written (completed or finally failed); sleeps and waits do not count */
  stepsDone: number;
  /** the endpoint's concurrency limit for this run's key (see {@link RunConcurrency}); null: unlimited */
  concurrency: RunConcurrency | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * A run under a concurrency limit. A run holds one of its key's `limit`
 * slots exactly while it holds a live lease (it executes); the runs of one
 * endpoint and `key` never hold more than `limit` leases at once. Every lease
 * grant — `createRun`, `acquireLease`, `claimDue`, and `renewLease` of a lease
 * that had already expired — checks it in the transaction that grants the
 * lease, and in queue order: a run is granted a slot only when the leases
 * held plus the runs queued ahead of it (due, lease free, earlier in the
 * queue) leave one free. The queue is ordered by the time a run became due
 * (`wakeAt`; a run whose holder died, first), then insertion. A lease that
 * expires frees its slot.
 */
export interface RunConcurrency {
  /** the key's value for this run ("" when the endpoint has no key function) */
  key: string;
  /** at most this many runs of the endpoint and key hold a lease at once */
  limit: number;
}

export type StepStatus =
  /** finished with a result (run) or elapsed (sleep) or resolved (waitForEvent) */
  | "completed"
  /** finished with a final failure: `output` holds the serialized error */
  | "failed"
  /** a failed attempt; another is scheduled (`attempts` counts failures so far) */
  | "retrying"
  /** a sleep or waitForEvent in progress */
  | "waiting";

export interface StepRecord {
  runId: string;
  /** stable step id: user id, plus ":N" for its N-th repeat */
  id: string;
  kind: "run" | "sleep" | "sleepUntil" | "waitForEvent";
  status: StepStatus;
  /** failed attempts so far */
  attempts: number;
  /** serialized result (completed), serialized error (failed / last retrying error) */
  output: string | null;
  /** sleep end, retry time, or wait timeout */
  wakeAt: number | null;
  startedAt: number;
  updatedAt: number;
}

/** An open `step.waitForEvent`. */
export interface WaitRecord {
  runId: string;
  stepId: string;
  event: string;
  /** `match` path ("data.x"), if any */
  match: string | null;
  /** with `match`: the key of the trigger's value there (EventMatcher.key); null when no event can match it */
  matchKey: string | null;
  /** CEL `if` expression, if any */
  expr: string | null;
  /** events with ts >= since count */
  since: number;
  /**
   * Ids of events the run had already seen when the wait began (received by
   * an earlier wait, or sent by the run) with a `ts` of `since` or later: they
   * never resolve it — they were sent before it began, whatever the clocks
   * say. Null when none.
   */
  seen: string[] | null;
  timeoutAt: number;
}

export interface EventRecord {
  id: string;
  name: string;
  /** JSON */
  data: string;
  ts: number;
}

/**
 * The engine's side of event delivery: stores call it inside their delivery
 * transaction, synchronously. A wait with `match` is a candidate for an event
 * only when the event's key at that path equals the wait's `matchKey`.
 */
export interface EventMatcher {
  /** The key `event` has at `path` (a `match` path); null when it cannot match any wait on that path. */
  key(event: EventRecord, path: string): string | null;
  /**
   * The wait's step output (the serialized event) when `event` satisfies it,
   * given its run's trigger data (JSON) and creation time; else null.
   */
  accept(wait: WaitRecord, run: { trigger: string; createdAt: number }, event: EventRecord): string | null;
}

/** The run fields a checkpoint may update (always together with a step outcome, if any). */
export type RunPatch = Partial<
  Pick<RunRecord, "status" | "state" | "locals" | "counters" | "result" | "wakeAt" | "stepsDone" | "version">
> & {
  /** instead of `locals`: the change to the saved locals, as an edit of the text the store holds */
  localsEdit?: LocalsEdit;
};

/**
 * A new `locals` text given by what changed in the one the store holds, so a
 * checkpoint does not hand over again a captured value unchanged since the
 * last one (a loop over a large cart re-writes only its index and total). The
 * store's text, which must be `length` characters long, gets `text` in place
 * of its characters `[at, at + cut)`; the run keeps the whole new text, as if
 * `locals` had been written. A run whose stored text has another length is not
 * updated: the checkpoint is refused (false), its step outcome kept only for a
 * cancelled run, as for a stale fence (an edit retried after it was committed
 * never applies twice: one that keeps the length writes the same text again,
 * any other changed it). The engine sends an edit only when both texts are
 * ASCII, so a character is one unit in every store (a UTF-16 code unit, a code
 * point, a byte).
 */
export interface LocalsEdit {
  length: number;
  at: number;
  cut: number;
  text: string;
}

/** `text` with `edit` applied (the memory store's, and the reference for the others). */
export function applyLocalsEdit(text: string, edit: LocalsEdit): string {
  return text.slice(0, edit.at) + edit.text + text.slice(edit.at + edit.cut);
}

export interface Checkpoint {
  runId: string;
  /** the writer's fencing token: the write is rejected if the run's fence moved on */
  fence: number;
  /**
   * The checkpoint's number among those of its execution (1, 2, …; a retry of one keeps its number). A store
   * where a write can still apply after its caller saw it fail — a Postgres statement whose connection was
   * cut may still be on its way, or waiting for a lock, and commit later — keeps the number of the last
   * checkpoint applied under the current fence (a new fence starts again from 0) and applies a checkpoint
   * only over an older one: one that lands after a later checkpoint of the same execution writes nothing
   * (step and wait included). A checkpoint whose number it already holds under the same fence (a retry of one
   * that committed, its answer lost) writes nothing either and answers as the first did: `true` unless the
   * run was cancelled. Absent: no such check (a store that cannot apply a write late may ignore it).
   */
  seq?: number;
  /** the writer's clock at the write, for the timestamps it sets (`updatedAt`); default: the store's own clock */
  now?: number;
  /** step outcome to upsert (by runId + id) */
  step?: StepRecord;
  /**
   * Wait to register (with its waiting step). Events already stored that
   * satisfy it — sent since it began (`since`), before it was saved — resolve
   * it in the same transaction (`matcher` decides, required with `wait`): an
   * event sent while a wait is in flight is never lost.
   */
  wait?: WaitRecord;
  matcher?: EventMatcher;
  /** run fields to update */
  run: RunPatch;
  /** release the lease in the same transaction (run finished or suspended) */
  releaseLease?: boolean;
  /**
   * Step ids of the waits this suspension waits on. If one of them is already
   * "completed" when the checkpoint commits (an event's `resolveWait` won the
   * race while the run was still "running"), the store makes the run due now
   * (wakeAt = now) in the same transaction — otherwise a crash right after
   * suspending would leave the run asleep until the wait's timeout.
   */
  dueIfCompleted?: readonly string[];
}

/** Would `wakeRun` make this step due? A sleep in progress or a step.run retry whose time has not come yet. */
export function isWakeable(step: StepRecord, now: number): boolean {
  if (step.wakeAt === null || step.wakeAt <= now) return false;
  return step.kind === "run" ? step.status === "retrying" : step.kind !== "waitForEvent" && step.status === "waiting";
}

export interface ListRunsOptions {
  /** at most this many runs (default: all) */
  limit?: number;
  endpoint?: string;
  status?: RunStatus;
  /**
   * the Idempotency-Key as its caller sent it: runs keep it scoped per caller,
   * as `<scope>:<key>` (the scope has no ":"), and a run of any scope matches
   */
  idempotencyKey?: string;
  /** created at or after this time */
  createdFrom?: number;
  /** created before this time */
  createdTo?: number;
  /** only runs listed after this run (a run id; an unknown id selects nothing) */
  after?: string;
}

/** What `cancelRun` / `retryRun` did: the run as it is now, and whether the call changed it. */
export interface RunChange {
  run: RunRecord;
  changed: boolean;
}

/**
 * The streamed body of a run's final Response, persisted while it is produced
 * (see `beginStream`). One per run; a new execution that streams again (after
 * the previous producer died) starts the next generation and replaces it.
 */
export interface StreamRecord {
  runId: string;
  /** 1 for the run's first stream, +1 for each restart */
  generation: number;
  /** the serialized Response without its body (status, status text, headers) */
  head: string;
  /** bytes persisted so far */
  size: number;
}

/** Bytes of a stream starting at `offset`. */
export interface StreamChunk {
  offset: number;
  data: Uint8Array;
}

export interface Store {
  /** Human-readable kind ("memory", "sqlite", "postgres") for logs. */
  readonly kind: string;

  /**
   * True when `checkpoint` applies `RunPatch.localsEdit` (see LocalsEdit): the engine sends such a store
   * only what changed in the saved locals, any other store the whole text (a store written before edits
   * existed keeps working).
   */
  readonly localsEdits?: boolean;

  /**
   * Insert a new run (with its lease already held by `run.leaseOwner`).
   * If `run.idempotencyKey` is set and a run with the same endpoint and key
   * exists, nothing is inserted and the existing run is returned instead.
   * A run under a concurrency limit that gets no slot (see RunConcurrency) is
   * inserted queued instead: "waiting", due at `createdAt`, no lease — the
   * returned run says so (`leaseOwner` null).
   */
  createRun(run: RunRecord): Promise<{ created: true; run: RunRecord } | { created: false; run: RunRecord }>;

  getRun(runId: string): Promise<RunRecord | null>;

  /**
   * Leases and clocks: `now` is the caller's clock, and `leaseExpiresAt`
   * (`now + ttlMs`) the caller's view of its lease. A store shared across
   * machines (Postgres) judges whether a lease is live by its own clock — a
   * lease lasts `ttlMs` from the write that took or renewed it (`createRun`:
   * `leaseExpiresAt - updatedAt`) — so callers whose clocks disagree never
   * take each other's live leases.
   *
   * Take the run's lease if it is free or expired: sets owner/expiry,
   * increments `fence`, returns the updated run. Returns null when the lease
   * is live — whoever holds it, `owner` included: two claims of one process
   * (its scheduler and a retried request) never both succeed — the run is
   * finished, or it gets no concurrency slot (see RunConcurrency).
   */
  acquireLease(runId: string, owner: string, ttlMs: number, now: number): Promise<RunRecord | null>;

  /**
   * Extend a held lease; false when the fence no longer matches (we were
   * fenced out), or the lease had expired and a run under a concurrency limit
   * finds no free slot (another run took it meanwhile).
   */
  renewLease(runId: string, fence: number, ttlMs: number, now: number): Promise<boolean>;

  /** Give the lease up (e.g. on shutdown) without changing anything else. */
  releaseLease(runId: string, fence: number): Promise<void>;

  /**
   * One transaction: upsert the step, register the wait, update the run.
   * Returns false (and writes nothing) when `fence` is stale. When the run
   * was cancelled and `fence` is still current, only the step outcome is
   * written (the attempt that was in flight is kept) and it returns false.
   */
  checkpoint(cp: Checkpoint): Promise<boolean>;

  getStep(runId: string, stepId: string): Promise<StepRecord | null>;
  /** All steps of a run in start order (for replay mode and inspection). */
  listSteps(runId: string): Promise<StepRecord[]>;

  /**
   * Claim due work for endpoints in `endpoints`: runs "waiting" with
   * `wakeAt <= now`, and runs "running" whose lease expired. Each returned run
   * is leased to `owner` (fence incremented). At most `limit` runs. Runs
   * under a concurrency limit are claimed in their key's queue order while
   * slots are free (see RunConcurrency).
   * Postgres: `FOR UPDATE SKIP LOCKED`.
   */
  claimDue(endpoints: readonly string[], owner: string, ttlMs: number, now: number, limit: number): Promise<RunRecord[]>;

  /**
   * Earliest `wakeAt` later than `after` among waiting runs of these endpoints
   * (for the scheduler's timer), or null. Runs due at or before `after` are
   * left out: the scheduler has just claimed those it could, and the others
   * wait for a lease or a concurrency slot to be freed, which signals due work.
   */
  nextWakeAt(endpoints: readonly string[], after: number): Promise<number | null>;

  /**
   * Stores events and resolves every open wait each one satisfies, atomically:
   * an event is stored together with its deliveries or not at all. Candidates
   * are found by index — same event name, `since <= ts`, and for waits with
   * `match` the same key (`matcher.key`) — never by reading every wait;
   * `matcher.accept` decides each. An id already stored is not stored again,
   * but its stored copy is delivered again (a wait resolves at most once, so
   * this is idempotent): a send() that failed midway can be retried with the
   * same id and nothing is lost. Waits are resolved like `resolveWait`.
   * Returns the ids of the runs whose waits were resolved.
   */
  sendEvents(events: readonly EventRecord[], matcher: EventMatcher, now: number): Promise<string[]>;

  /**
   * Deletes stored events older than `olderThan` that no wait could still
   * match: none at or after the `since` of an open wait, nor at or after the
   * creation of a running run (a wait in flight there — begun, not yet saved —
   * began after it). Returns how many were deleted. Their ids are forgotten:
   * dedupe by id holds while an event is kept.
   */
  pruneEvents(olderThan: number): Promise<number>;

  /** Open waits for this event name registered at or before `ts` (inspection and tests). */
  findWaits(eventName: string, ts: number): Promise<WaitRecord[]>;

  /**
   * Atomically resolve an open wait: delete it, mark its step completed with
   * `output`, and make the run due now (status "waiting" → wakeAt = now).
   * Returns false when the wait was already resolved or timed out.
   * Used both for a matching event and for a timeout (`output` = serialized null).
   */
  resolveWait(runId: string, stepId: string, output: string, now: number): Promise<boolean>;

  /**
   * Resolves when the run changes in a way a waiter acts on — its status,
   * wake-up time or result (a checkpoint that suspends or finishes it, a
   * resolved wait, a wake, a cancel or retry), its lease (taken, released),
   * its stream (begun, appended) or a step outcome kept for a cancelled run —
   * from this process or, for shared stores, from any other — or when `signal`
   * aborts. Used by long-polls so they answer the moment a run finishes. A
   * checkpoint that only records progress (a step's outcome while the run
   * keeps running under the same lease) or a lease renewal may wake it or
   * not: Postgres does not signal them (a notifying commit holds a
   * server-wide lock), SQLite and memory do.
   */
  waitForChange(runId: string, signal: AbortSignal): Promise<void>;

  /**
   * Subscribe to "work may be due" notifications (a run became due, e.g. an
   * event resolved a wait in another process). Returns an unsubscribe function.
   */
  onDue(listener: () => void): () => void;

  /**
   * Starts (or restarts) the run's streamed response, fenced like a
   * checkpoint: the stream's next generation with `head` and no bytes; the
   * chunks of earlier generations are deleted. Wakes the run's waiters.
   * Returns the new generation, or null when `fence` is stale or the run is
   * not "running" (cancelled, finished).
   */
  beginStream(runId: string, fence: number, head: string): Promise<number | null>;

  /**
   * Appends `data` at `offset`, fenced: false (nothing written) unless the
   * run is "running" under this fence, `generation` is the stream's and
   * `offset` is its size.
   * Wakes the run's waiters, in other processes too.
   */
  appendStream(runId: string, fence: number, generation: number, offset: number, data: Uint8Array): Promise<boolean>;

  /** The run's stream as persisted so far, or null. */
  getStream(runId: string): Promise<StreamRecord | null>;

  /**
   * Chunks of `generation` in order, starting with the one that holds byte
   * `from` (it may begin before `from`), at most `limit` of them. Empty when
   * nothing at or past `from` is persisted, or the generation was replaced.
   */
  readStream(runId: string, generation: number, from: number, limit: number): Promise<StreamChunk[]>;

  /** Small key/value metadata (e.g. the generated signing key). Insert-if-absent, then return the stored value. */
  getOrSetMeta(key: string, value: string): Promise<string>;

  /**
   * Cancels an unfinished run, in one transaction: status "cancelled", its
   * final Response `result`, no wake-up time, the lease cleared (the fence is
   * kept, so an execution in flight can still record the step it is running,
   * see `checkpoint`), its open waits deleted; signals the change. Returns the
   * run as it is now and whether this call cancelled it (false: it had
   * already finished), or null for an unknown run.
   */
  cancelRun(runId: string, result: string, now: number): Promise<RunChange | null>;

  /**
   * Makes a failed run run again, in one transaction: status "waiting" and due
   * `now`, its result cleared, its lease free; every step that failed for good
   * becomes "retrying" with no failed attempts and no wake-up time (the
   * engine runs it again with a fresh budget); signals due work. Returns the
   * run as it is now and whether this call changed it (false: it had not
   * failed), or null for an unknown run.
   */
  retryRun(runId: string, now: number): Promise<RunChange | null>;

  /**
   * Runs, newest first (creation time, then insertion order), for inspection
   * (`durable runs`, `durable ui`). Every option narrows the selection; pages
   * continue with `after` = the last run id of the previous page. Answered
   * by the store's query, never by loading all runs.
   */
  listRuns(options?: ListRunsOptions): Promise<RunRecord[]>;

  /** A run's open waits, oldest first (for inspection: what it waits for). */
  listWaits(runId: string): Promise<WaitRecord[]>;

  /**
   * "Wake it now", for inspection tools: one transaction makes a waiting
   * run's sleeps in progress and its step retries waiting for their backoff
   * due now (their `wakeAt` and the run's become `now`), and signals due work.
   * Waits for events keep their timeouts. Returns false, changing nothing,
   * unless the run is "waiting", its lease is free and it has such a step.
   */
  wakeRun(runId: string, now: number): Promise<boolean>;

  close(): Promise<void>;
}
