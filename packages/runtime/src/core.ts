/** Settings and services one client shares with its endpoints, engine and scheduler. */

import type { Store } from "./store.js";
import type { MachineDefinition } from "./machine.js";
import type { EndpointHandler } from "./types.js";

export type Logger = Pick<Console, "info" | "warn" | "error">;

export interface Limits {
  /** steps settled per run */
  maxSteps: number;
  /** characters of one serialized step result / set of captured locals */
  maxStateBytes: number;
  /** request body bytes persisted with a run (413 past it) */
  maxBodyBytes: number;
}

export interface Core {
  readonly clientId: string;
  /** this client's lease-holder id */
  readonly owner: string;
  readonly store: () => Promise<Store>;
  readonly retries: number;
  readonly leaseMs: number;
  readonly backoff: { initialMs: number; maxMs: number };
  readonly limits: Limits;
  readonly logger: Logger;
  /** header names persisted even though they are sensitive; true = all */
  readonly persistHeaders: readonly string[] | true;
  /** warn once per key */
  warnOnce(key: string, message: string): void;
}

/** What runs for one endpoint: a compiled machine or a plain handler (replay mode). */
export interface EndpointDef {
  /** machine id, or `<client id>:<path>` for a plain handler */
  readonly id: string;
  readonly machine: MachineDefinition | null;
  readonly handler: EndpointHandler | null;
}
