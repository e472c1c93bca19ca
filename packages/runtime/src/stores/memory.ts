/**
 * In-memory store: for tests, the playground and single-process experiments.
 *
 * Records are copied on the way in and out so callers can never mutate the
 * store's state behind its back. `close()` only wakes the long-polls waiting
 * on it: the data stays, so a fresh client can be opened over the same store
 * to resume runs (that is how in-process crash injection works).
 */

import {
  applyLocalsEdit,
  isFinished,
  isWakeable,
  type Checkpoint,
  type EventMatcher,
  type EventRecord,
  type ListRunsOptions,
  type RunRecord,
  type StepRecord,
  type Store,
  type StreamChunk,
  type StreamRecord,
  type WaitRecord,
} from "../store.js";
import { ChangeHub } from "./change-hub.js";

const waitKey = (runId: string, stepId: string) => `${runId}\u0000${stepId}`;

class MemoryStore implements Store {
  readonly kind = "memory";
  readonly localsEdits = true;
  private runs = new Map<string, RunRecord>();
  /** insertion order of each run: breaks createdAt ties in listRuns, as rowid/seq do in SQL */
  private inserted = new Map<string, number>();
  /** runs not finished yet: the only ones the scheduler's scans look at */
  private unfinished = new Set<RunRecord>();
  private byKey = new Map<string, string>();
  /** per run, steps in start order (Map keeps insertion order across upserts) */
  private steps = new Map<string, Map<string, StepRecord>>();
  private waits = new Map<string, WaitRecord>();
  /** open waits' keys by event name, then match path ("" = none), then match key ("" = none) */
  private waitIndex = new Map<string, Map<string, Map<string, Set<string>>>>();
  private events = new Map<string, EventRecord>();
  private eventsByName = new Map<string, EventRecord[]>();
  private meta = new Map<string, string>();
  private hub = new ChangeHub();
  private streams = new Map<string, StreamRecord & { chunks: StreamChunk[] }>();

  async createRun(run: RunRecord) {
    if (run.idempotencyKey !== null) {
      const key = `${run.endpoint}\u0000${run.idempotencyKey}`;
      const existing = this.byKey.get(key);
      if (existing !== undefined) return { created: false as const, run: { ...this.runs.get(existing)! } };
      this.byKey.set(key, run.id);
    }
    const stored = { ...run };
    this.runs.set(run.id, stored);
    this.inserted.set(run.id, this.inserted.size);
    if (!isFinished(stored)) this.unfinished.add(stored);
    if (run.concurrency && run.leaseOwner !== null) {
      // queued unless a slot is free for it (its place in the queue: now, after every run before it)
      Object.assign(stored, { status: "waiting", wakeAt: run.createdAt, leaseOwner: null, leaseExpiresAt: null });
      if (this.slotFree(stored, run.createdAt)) Object.assign(stored, run);
      else this.due();
    }
    return { created: true as const, run: { ...stored } };
  }

  async getRun(runId: string) {
    const run = this.runs.get(runId);
    return run ? { ...run } : null;
  }

  async acquireLease(runId: string, owner: string, ttlMs: number, now: number) {
    const run = this.runs.get(runId);
    if (!run || isFinished(run)) return null;
    if (leaseLive(run, now) || !this.slotFree(run, now)) return null;
    this.lease(run, owner, ttlMs, now);
    return { ...run };
  }

  async renewLease(runId: string, fence: number, ttlMs: number, now: number) {
    const run = this.runs.get(runId);
    if (!run || run.fence !== fence || run.leaseOwner === null) return false;
    if (!leaseLive(run, now) && !this.slotFree(run, now)) return false;
    run.leaseExpiresAt = now + ttlMs;
    return true;
  }

  async releaseLease(runId: string, fence: number) {
    const run = this.runs.get(runId);
    if (!run || run.fence !== fence) return;
    run.leaseOwner = null;
    run.leaseExpiresAt = null;
    this.changed(runId);
    if (!isFinished(run)) this.due();
  }

  async checkpoint(cp: Checkpoint) {
    const run = this.runs.get(cp.runId);
    if (!run || run.fence !== cp.fence) return false;
    let patch = cp.run;
    const edit = patch.localsEdit;
    if (edit && run.status !== "cancelled") {
      if (run.locals?.length !== edit.length) return false;
      const { localsEdit, ...rest } = patch;
      patch = { ...rest, locals: applyLocalsEdit(run.locals, edit) };
    }
    if (cp.step) {
      let steps = this.steps.get(cp.runId);
      if (!steps) this.steps.set(cp.runId, (steps = new Map()));
      steps.set(cp.step.id, { ...cp.step });
    }
    if (run.status === "cancelled") {
      this.changed(cp.runId);
      return false;
    }
    Object.assign(run, patch);
    run.updatedAt = cp.now ?? Date.now();
    if (cp.wait) {
      this.removeWait(cp.wait.runId, cp.wait.stepId);
      this.addWait(cp.wait);
      if (cp.matcher) this.catchUp(cp.wait, cp.matcher, run, run.updatedAt);
    }
    if (run.status === "waiting" && cp.dueIfCompleted?.some((id) => this.steps.get(cp.runId)?.get(id)?.status === "completed")) {
      run.wakeAt = run.updatedAt;
    }
    if (cp.releaseLease) {
      run.leaseOwner = null;
      run.leaseExpiresAt = null;
    }
    this.changed(cp.runId);
    if (isFinished(run)) this.unfinished.delete(run);
    // due work: a suspended run, an orphaned running one, or the runs queued for the slot just freed
    if (run.status === "waiting" || (cp.releaseLease && (!isFinished(run) || run.concurrency !== null))) this.due();
    return true;
  }

  async getStep(runId: string, stepId: string) {
    const step = this.steps.get(runId)?.get(stepId);
    return step ? { ...step } : null;
  }

  async listSteps(runId: string) {
    // Start order: by startedAt; the stable sort keeps first-checkpoint order for ties.
    return [...(this.steps.get(runId)?.values() ?? [])].sort((a, b) => a.startedAt - b.startedAt).map((s) => ({ ...s }));
  }

  async claimDue(endpoints: readonly string[], owner: string, ttlMs: number, now: number, limit: number) {
    const wanted = new Set(endpoints);
    const claimed: RunRecord[] = [];
    const due = [...this.unfinished].filter((run) => wanted.has(run.endpoint) && queued(run, now));
    for (const run of due.sort((a, b) => this.queueOrder(a, b))) {
      if (claimed.length >= limit) break;
      if (!this.slotFree(run, now)) continue;
      this.lease(run, owner, ttlMs, now);
      claimed.push({ ...run });
    }
    return claimed;
  }

  async nextWakeAt(endpoints: readonly string[], after: number) {
    const wanted = new Set(endpoints);
    let next: number | null = null;
    for (const run of this.unfinished) {
      if (run.status !== "waiting" || run.wakeAt === null || run.wakeAt <= after || !wanted.has(run.endpoint)) continue;
      if (next === null || run.wakeAt < next) next = run.wakeAt;
    }
    return next;
  }

  async sendEvents(events: readonly EventRecord[], matcher: EventMatcher, now: number) {
    const woken: string[] = [];
    for (const sent of events) {
      let event = this.events.get(sent.id);
      if (!event) {
        this.events.set(sent.id, (event = { ...sent }));
        let named = this.eventsByName.get(event.name);
        if (!named) this.eventsByName.set(event.name, (named = []));
        named.push(event);
      }
      for (const wait of this.candidates(event, matcher)) {
        const run = this.runs.get(wait.runId);
        const output = run && matcher.accept(wait, run, event);
        if (output && this.resolve(wait.runId, wait.stepId, output, now)) woken.push(wait.runId);
      }
    }
    return woken;
  }

  async pruneEvents(olderThan: number) {
    let cutoff = olderThan;
    for (const wait of this.waits.values()) cutoff = Math.min(cutoff, wait.since);
    for (const run of this.runs.values()) if (run.status === "running") cutoff = Math.min(cutoff, run.createdAt);
    let pruned = 0;
    for (const [name, named] of this.eventsByName) {
      const kept = named.filter((event) => event.ts >= cutoff);
      for (const event of named) if (event.ts < cutoff) this.events.delete(event.id), pruned++;
      if (kept.length === 0) this.eventsByName.delete(name);
      else this.eventsByName.set(name, kept);
    }
    return pruned;
  }

  /** Open waits the event may satisfy: by name, `since`, and match key — never a scan of every wait. */
  private candidates(event: EventRecord, matcher: EventMatcher): WaitRecord[] {
    const found: WaitRecord[] = [];
    for (const [path, byKey] of this.waitIndex.get(event.name) ?? []) {
      const key = path === "" ? "" : matcher.key(event, path);
      if (key === null) continue;
      for (const id of byKey.get(key) ?? []) {
        const wait = this.waits.get(id)!;
        if (wait.since <= event.ts) found.push(wait);
      }
    }
    return found;
  }

  /** A wait just registered: an event stored since it began (sent while it was in flight) resolves it now. */
  private catchUp(wait: WaitRecord, matcher: EventMatcher, run: RunRecord, now: number): void {
    const sent = (this.eventsByName.get(wait.event) ?? []).filter((e) => e.ts >= wait.since).sort((a, b) => a.ts - b.ts);
    for (const event of sent) {
      const output = matcher.accept(wait, run, event);
      if (output) return void this.resolve(wait.runId, wait.stepId, output, now);
    }
  }

  private addWait(wait: WaitRecord): void {
    const id = waitKey(wait.runId, wait.stepId);
    this.waits.set(id, { ...wait, seen: wait.seen && [...wait.seen] });
    if (wait.match !== null && wait.matchKey === null) return; // no event can match it
    let byPath = this.waitIndex.get(wait.event);
    if (!byPath) this.waitIndex.set(wait.event, (byPath = new Map()));
    let byKey = byPath.get(wait.match ?? "");
    if (!byKey) byPath.set(wait.match ?? "", (byKey = new Map()));
    let ids = byKey.get(wait.matchKey ?? "");
    if (!ids) byKey.set(wait.matchKey ?? "", (ids = new Set()));
    ids.add(id);
  }

  private removeWait(runId: string, stepId: string): boolean {
    const id = waitKey(runId, stepId);
    const wait = this.waits.get(id);
    if (!wait) return false;
    this.waits.delete(id);
    const byPath = this.waitIndex.get(wait.event);
    const byKey = byPath?.get(wait.match ?? "");
    const ids = byKey?.get(wait.matchKey ?? "");
    if (ids?.delete(id) && ids.size === 0) {
      byKey!.delete(wait.matchKey ?? "");
      if (byKey!.size === 0) byPath!.delete(wait.match ?? "");
      if (byPath!.size === 0) this.waitIndex.delete(wait.event);
    }
    return true;
  }

  async findWaits(eventName: string, ts: number) {
    const found: WaitRecord[] = [];
    for (const wait of this.waits.values()) {
      if (wait.event === eventName && wait.since <= ts) found.push({ ...wait });
    }
    return found;
  }

  async resolveWait(runId: string, stepId: string, output: string, now: number) {
    return this.resolve(runId, stepId, output, now);
  }

  private resolve(runId: string, stepId: string, output: string, now: number): boolean {
    if (!this.removeWait(runId, stepId)) return false;
    const step = this.steps.get(runId)?.get(stepId);
    if (step) Object.assign(step, { status: "completed", output, wakeAt: null, updatedAt: now });
    const run = this.runs.get(runId);
    if (run && run.status === "waiting") {
      run.wakeAt = now;
      run.updatedAt = now;
    }
    this.changed(runId);
    this.due();
    return true;
  }

  waitForChange(runId: string, signal: AbortSignal) {
    return this.hub.waitForChange(runId, signal, undefined);
  }

  onDue(listener: () => void) {
    return this.hub.onDue(listener);
  }

  async beginStream(runId: string, fence: number, head: string) {
    const run = this.runs.get(runId);
    if (!run || run.fence !== fence || run.status !== "running") return null;
    const generation = (this.streams.get(runId)?.generation ?? 0) + 1;
    this.streams.set(runId, { runId, generation, head, size: 0, chunks: [] });
    this.changed(runId);
    return generation;
  }

  async appendStream(runId: string, fence: number, generation: number, offset: number, data: Uint8Array) {
    const stream = this.streams.get(runId);
    const run = this.runs.get(runId);
    if (run?.fence !== fence || run.status !== "running" || stream?.generation !== generation || stream.size !== offset) return false;
    stream.chunks.push({ offset, data: data.slice() });
    stream.size += data.byteLength;
    this.changed(runId);
    return true;
  }

  async getStream(runId: string) {
    const stream = this.streams.get(runId);
    return stream ? { runId, generation: stream.generation, head: stream.head, size: stream.size } : null;
  }

  async readStream(runId: string, generation: number, from: number, limit: number) {
    const stream = this.streams.get(runId);
    if (stream?.generation !== generation || from >= stream.size) return [];
    const { chunks } = stream;
    // the last chunk starting at or before `from`
    let low = 0;
    let high = chunks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (chunks[mid]!.offset <= from) low = mid;
      else high = mid - 1;
    }
    return chunks.slice(low, low + limit).map((c) => ({ offset: c.offset, data: c.data.slice() }));
  }

  async getOrSetMeta(key: string, value: string) {
    if (!this.meta.has(key)) this.meta.set(key, value);
    return this.meta.get(key)!;
  }

  async cancelRun(runId: string, result: string, now: number) {
    const run = this.runs.get(runId);
    if (!run) return null;
    const changed = !isFinished(run);
    if (changed) {
      Object.assign(run, { status: "cancelled", result, wakeAt: null, leaseOwner: null, leaseExpiresAt: null, updatedAt: now });
      for (const wait of [...this.waits.values()]) if (wait.runId === runId) this.removeWait(runId, wait.stepId);
      this.unfinished.delete(run);
      this.changed(runId);
      // its slot, or its place in the queue, is free
      if (run.concurrency) this.due();
    }
    return { run: { ...run }, changed };
  }

  async retryRun(runId: string, now: number) {
    const run = this.runs.get(runId);
    if (!run) return null;
    const changed = run.status === "failed";
    if (changed) {
      for (const step of this.steps.get(runId)?.values() ?? []) {
        if (step.status === "failed") Object.assign(step, { status: "retrying", attempts: 0, wakeAt: null, updatedAt: now });
      }
      Object.assign(run, { status: "waiting", result: null, wakeAt: now, leaseOwner: null, leaseExpiresAt: null, updatedAt: now });
      this.unfinished.add(run);
      this.changed(runId);
      this.due();
    }
    return { run: { ...run }, changed };
  }

  async listRuns(options: ListRunsOptions = {}) {
    const newestFirst = (a: RunRecord, b: RunRecord) => b.createdAt - a.createdAt || this.inserted.get(b.id)! - this.inserted.get(a.id)!;
    const cursor = options.after === undefined ? undefined : this.runs.get(options.after);
    if (options.after !== undefined && !cursor) return [];
    const runs = [...this.runs.values()]
      .filter(
        (r) =>
          (options.endpoint === undefined || r.endpoint === options.endpoint) &&
          (options.status === undefined || r.status === options.status) &&
          (options.idempotencyKey === undefined || r.idempotencyKey?.slice(r.idempotencyKey.indexOf(":") + 1) === options.idempotencyKey) &&
          (options.createdFrom === undefined || r.createdAt >= options.createdFrom) &&
          (options.createdTo === undefined || r.createdAt < options.createdTo) &&
          (cursor === undefined || newestFirst(cursor, r) < 0),
      )
      .sort(newestFirst);
    return runs.slice(0, options.limit ?? runs.length).map((r) => ({ ...r }));
  }

  async listWaits(runId: string) {
    return [...this.waits.values()].filter((w) => w.runId === runId).sort((a, b) => a.since - b.since).map((w) => ({ ...w }));
  }

  async wakeRun(runId: string, now: number) {
    const run = this.runs.get(runId);
    if (!run || run.status !== "waiting" || (run.leaseExpiresAt ?? 0) > now) return false;
    const woken = [...(this.steps.get(runId)?.values() ?? [])].filter((s) => isWakeable(s, now));
    if (woken.length === 0) return false;
    for (const step of woken) Object.assign(step, { wakeAt: now, updatedAt: now });
    Object.assign(run, { wakeAt: now, updatedAt: now });
    this.changed(runId);
    this.due();
    return true;
  }

  async close() {
    this.hub.wakeAll();
  }

  /**
   * Whether `run`, its lease free, may take a slot of its concurrency key now:
   * the leases held plus the runs queued ahead of it leave one (see RunConcurrency).
   */
  private slotFree(run: RunRecord, now: number): boolean {
    if (!run.concurrency) return true;
    let taken = 0;
    for (const other of this.unfinished) {
      if (other === run || other.endpoint !== run.endpoint || other.concurrency?.key !== run.concurrency.key) continue;
      if (leaseLive(other, now) || (queued(other, now) && this.queueOrder(other, run) < 0)) taken += 1;
    }
    return taken < run.concurrency.limit;
  }

  /** Queue order: when a run became due (a running one whose holder died: first), then insertion. */
  private queueOrder(a: RunRecord, b: RunRecord): number {
    return (a.wakeAt ?? 0) - (b.wakeAt ?? 0) || this.inserted.get(a.id)! - this.inserted.get(b.id)!;
  }

  private lease(run: RunRecord, owner: string, ttlMs: number, now: number) {
    run.leaseOwner = owner;
    run.leaseExpiresAt = now + ttlMs;
    run.fence += 1;
    this.changed(run.id);
  }

  private changed(runId: string) {
    this.hub.runChanged(runId);
  }

  private due() {
    this.hub.due();
  }
}

const leaseLive = (run: RunRecord, now: number) => run.leaseOwner !== null && (run.leaseExpiresAt ?? 0) > now;

/** Due (or orphaned while running) and free to lease: what `claimDue` takes. */
const queued = (run: RunRecord, now: number) =>
  !leaseLive(run, now) && (run.status === "running" || (run.wakeAt !== null && run.wakeAt <= now));

/** A store that keeps everything in this process's memory. */
export function memoryStore(): Store {
  return new MemoryStore();
}
