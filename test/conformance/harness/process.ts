/**
 * One simulated process ("incarnation"): the store view it sees, the client
 * options the real-runtime facade injects into every `new Inngest(...)` the
 * corpus module evaluates, and the clients it created.
 */
import type { Store } from "@durable-endpoints/runtime";

export interface ClientLike {
  close(): Promise<void>;
  send(events: unknown): Promise<unknown>;
  start(): Promise<void>;
}

/** Test-only rewrite of a compiled machine before it is registered (mutation testing). */
export type MachineMutation = (machine: Record<string, unknown>) => Record<string, unknown>;

export interface SimulatedProcess {
  incarnation: number;
  options: { store: Store; leaseMs: number; pollMs: number; logger: Pick<Console, "info" | "warn" | "error"> };
  clients: ClientLike[];
  mutate?: MachineMutation;
}

const PROCESS = Symbol.for("durable-endpoints.conformance.process");
const holder = globalThis as { [PROCESS]?: SimulatedProcess };

/** The process whose module is being evaluated right now. */
export function setLoadingProcess(process: SimulatedProcess | undefined): void {
  holder[PROCESS] = process;
}

export function loadingProcess(): SimulatedProcess {
  const process = holder[PROCESS];
  if (!process) throw new Error("conformance: a corpus module created a client outside a simulated process");
  return process;
}
