/**
 * What a test observed, in order: every checkpoint a process committed and
 * every execution of the handler (with the states a compiled machine entered).
 * `checkNoReplay` reads it.
 */

export interface CheckpointEntry {
  kind: "checkpoint";
  /** the simulated process that wrote it (1, 2, …) */
  process: number;
  runId: string;
  /** the stable id of the step outcome it wrote, if any */
  stepId?: string;
  stepStatus?: string;
  /** failed attempts of that step so far */
  attempts?: number;
  /** the resume point it wrote (compiled mode, when it moved) */
  state?: number;
  runStatus?: string;
}

export interface ExecutionEntry {
  kind: "execution";
  process: number;
  runId: string;
  /** the state the handler started at: the saved resume point (compiled), 0 (replay or a new run) */
  startState: number;
  /** states the machine entered, in order (compiled mode) */
  states: number[];
}

export type JournalEntry = CheckpointEntry | ExecutionEntry;

export class Journal {
  readonly entries: JournalEntry[] = [];
  /** Idempotency-Key of a request → its run */
  private readonly runsByKey = new Map<string, string>();
  private pendingKey: string | null = null;

  get checkpoints(): CheckpointEntry[] {
    return this.entries.filter((e): e is CheckpointEntry => e.kind === "checkpoint");
  }

  get executions(): ExecutionEntry[] {
    return this.entries.filter((e): e is ExecutionEntry => e.kind === "execution");
  }

  /**
   * The request in flight: createRun only ever runs for a request, and the
   * test sends one at a time, so the run the store creates (or finds) now is
   * its run. (The store keeps the key in a form of its own: scoped per caller.)
   */
  requesting(key: string | null): void {
    this.pendingKey = key;
  }

  runCreated(runId: string): void {
    if (this.pendingKey !== null) this.runsByKey.set(this.pendingKey, runId);
  }

  runOfKey(key: string | null): string | null {
    return (key !== null && this.runsByKey.get(key)) || null;
  }

  record(entry: JournalEntry): void {
    this.entries.push(entry);
  }
}
