/**
 * One simulated process's view of the test's shared memory store (the idea of
 * the conformance harness's crash store). It journals every committed
 * checkpoint, counts the calls in flight (the test waits for them), learns the
 * lease-owner ids its process uses, and can die: after `kill()` no call it
 * forwards ever settles, results in flight are swallowed and due-work
 * notifications are dropped — the process above it is stuck exactly like a
 * killed one, while the store and its data live on for the next process.
 */

import type { RunRecord, Store } from "@durable-endpoints/runtime";
import type { Journal } from "./journal.js";

type Checkpoint = Parameters<Store["checkpoint"]>[0];

/** Where a process dies: right after the checkpoint that writes this step, this state, or the n-th one. */
export type CrashPoint = string | { step: string } | { state: number } | { checkpoint: number };

export class StoreView {
  readonly store: Store;
  /** lease-owner ids this process used */
  readonly owners = new Set<string>();
  private dead = false;
  private pending = 0;
  private crashAt: { point: CrashPoint; seen: number } | null = null;
  private onDeath: (cause: string) => void = () => {};
  /** resolves with the cause when the process dies */
  readonly died: Promise<string>;

  constructor(
    shared: Store,
    private readonly journal: Journal,
    readonly process: number,
  ) {
    this.died = new Promise((resolve) => (this.onDeath = resolve));
    this.store = this.proxy(shared);
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Store calls started and not settled yet. */
  get busy(): boolean {
    return this.pending > 0;
  }

  crashAfter(point: CrashPoint): void {
    this.crashAt = { point, seen: 0 };
  }

  get armed(): boolean {
    return this.crashAt !== null;
  }

  kill(cause: string): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath(cause);
  }

  private proxy(shared: Store): Store {
    const never = () => new Promise<never>(() => {});
    const forward =
      (name: string) =>
      async (...args: unknown[]): Promise<unknown> => {
        if (this.dead) return never();
        this.learnOwner(name, args);
        this.pending++;
        try {
          const result = await (shared as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!.apply(shared, args);
          if (this.dead) return never();
          if (name === "createRun") this.journal.runCreated((result as { run: RunRecord }).run.id);
          return result;
        } finally {
          this.pending--;
        }
      };
    return new Proxy(shared, {
      get: (target, name: string | symbol) => {
        const value = (target as unknown as Record<string | symbol, unknown>)[name];
        if (typeof value !== "function" || typeof name === "symbol") return value;
        switch (name) {
          case "checkpoint":
            return (cp: Checkpoint) => this.checkpoint(target, cp);
          case "onDue":
            return (listener: () => void) => target.onDue(() => this.dead || listener());
          case "close":
            return async () => {}; // the store outlives the process: the test closes it
          default:
            return forward(name);
        }
      },
    });
  }

  private async checkpoint(shared: Store, cp: Checkpoint): Promise<boolean> {
    if (this.dead) return new Promise<never>(() => {});
    this.pending++;
    let ok: boolean;
    try {
      ok = await shared.checkpoint(cp);
    } finally {
      this.pending--;
    }
    if (this.dead) return new Promise<never>(() => {});
    if (!ok) return ok;
    this.journal.record({
      kind: "checkpoint",
      process: this.process,
      runId: cp.runId,
      stepId: cp.step?.id,
      stepStatus: cp.step?.status,
      attempts: cp.step?.attempts,
      state: cp.run.state,
      runStatus: cp.run.status,
    });
    const cause = this.crashCause(cp);
    if (cause === null) return ok;
    this.kill(cause);
    return new Promise<never>(() => {});
  }

  private crashCause(cp: Checkpoint): string | null {
    if (!this.crashAt) return null;
    const { point } = this.crashAt;
    this.crashAt.seen++;
    const hit =
      typeof point === "string"
        ? cp.step?.id === point
        : "step" in point
          ? cp.step?.id === point.step
          : "state" in point
            ? cp.run.state === point.state
            : this.crashAt.seen === point.checkpoint;
    if (!hit) return null;
    this.crashAt = null;
    const what = cp.step ? `step "${cp.step.id}" (${cp.step.status})` : cp.run.status ? `the run (${cp.run.status})` : "a checkpoint";
    const state = cp.run.state !== undefined ? `, resume point state ${cp.run.state}` : "";
    return `process ${this.process} crashed right after saving ${what}${state}`;
  }

  private learnOwner(name: string, args: unknown[]): void {
    if (name === "acquireLease") this.owners.add(args[1] as string);
    else if (name === "claimDue") this.owners.add(args[1] as string);
    else if (name === "createRun" && (args[0] as RunRecord).leaseOwner) this.owners.add((args[0] as RunRecord).leaseOwner!);
  }
}
