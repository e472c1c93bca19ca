/**
 * The shared record of one execution ("world"): every probe and every
 * committed checkpoint, tagged with the incarnation (simulated process) that
 * produced it, plus the crash plan. Corpus modules reach it through `probe()`.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface ProbeEntry {
  kind: "probe";
  label: string;
  incarnation: number;
}

export interface CheckpointEntry {
  kind: "checkpoint";
  incarnation: number;
  /** stable step id of the step outcome written with it, if any */
  stepId?: string;
  stepStatus?: string;
  runStatus?: string;
  state?: number;
}

export type LogEntry = ProbeEntry | CheckpointEntry;

/** Thrown by a probe where the crash plan says the process dies. */
export class CrashSignal extends Error {
  constructor(label: string) {
    super(`simulated crash at probe "${label}"`);
    this.name = "CrashSignal";
  }
}

/** Thrown by a probe reached by code of an incarnation that is already dead. */
export class ZombieError extends Error {
  constructor() {
    super("code of a crashed incarnation kept running");
    this.name = "ZombieError";
  }
}

export interface CrashPlan {
  /** die right after the n-th (1-based) successful checkpoint of incarnation 1 */
  afterCheckpoint?: number;
  /** die on reaching the k-th (0-based) probe of incarnation 1 */
  atProbe?: number;
}

export class World {
  readonly dead = new Set<number>();
  /** called by a probe crash: freezes the store of the dying incarnation */
  onProbeCrash: (incarnation: number) => void = () => {};

  constructor(
    /** "oracle": plain execution, nothing is committed; "real": the runtime commits checkpoints */
    readonly kind: "oracle" | "real",
    readonly crash: CrashPlan = {},
    readonly log: LogEntry[] = [],
  ) {}

  probes(incarnation?: number): ProbeEntry[] {
    return this.log.filter(
      (e): e is ProbeEntry => e.kind === "probe" && (incarnation === undefined || e.incarnation === incarnation),
    );
  }

  checkpoints(incarnation?: number): CheckpointEntry[] {
    return this.log.filter(
      (e): e is CheckpointEntry => e.kind === "checkpoint" && (incarnation === undefined || e.incarnation === incarnation),
    );
  }

  kill(incarnation: number): void {
    this.dead.add(incarnation);
  }
}

/** Failed attempts of step `id` (any repeat: "id", "id:1", …) the runtime committed. */
export function committedFailures(checkpoints: CheckpointEntry[], id: string): number {
  return checkpoints.filter(
    (c) => c.stepId?.replace(/:\d+$/, "") === id && (c.stepStatus === "retrying" || c.stepStatus === "failed"),
  ).length;
}

const incarnationContext = new AsyncLocalStorage<number>();
const WORLD = Symbol.for("durable-endpoints.conformance.world");
const holder = globalThis as { [WORLD]?: World };

export function setWorld(world: World | undefined): void {
  holder[WORLD] = world;
}

export function activeWorld(): World | undefined {
  return holder[WORLD];
}

/** Runs `fn` (and every async continuation it starts) as code of `incarnation`. */
export function inIncarnation<T>(incarnation: number, fn: () => T): T {
  return incarnationContext.run(incarnation, fn);
}

export function currentIncarnation(): number {
  return incarnationContext.getStore() ?? 0;
}
