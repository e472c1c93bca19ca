/**
 * What one client shares with its engine, executions, scheduler and
 * protocol: settings resolved once from the options, the clock, the logger and
 * the lazily opened store. One object, passed down whole.
 */

import type { InngestOptions } from "./client.js";
import type { Clock } from "./clock.js";
import type { TokenSigner } from "./crypto.js";
import { parseDuration } from "./duration.js";
import { callerCredentials } from "./request.js";
import type { EndpointConcurrency } from "./concurrency.js";
import type { MachineDefinition } from "./machine.js";
import type { Store } from "./store.js";
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

export interface Settings {
  /** retries after a step's first failed attempt */
  readonly retries: number;
  readonly leaseMs: number;
  /** how long events are kept (dedupe by id, late waits), unless a wait may still match them */
  readonly eventRetentionMs: number;
  /** how long a GET on the poll URL waits for the run to finish */
  readonly pollMs: number;
  readonly backoff: { initialMs: number; maxMs: number };
  readonly limits: Limits;
  /** header names persisted beyond the allowlist; true = all */
  readonly persistHeaders: readonly string[] | true;
  /** the caller an Idempotency-Key belongs to (default: the credentials the request carries) */
  readonly idempotencyScope: (req: Request) => string | Promise<string>;
}

export interface Services extends Settings {
  readonly clientId: string;
  /** this client's lease-holder id */
  readonly owner: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** aborted when the client closes (ends long-polls) */
  readonly closing: AbortSignal;
  /** endpoints this process has loaded, by id: the scheduler resumes runs of these only */
  readonly endpoints: ReadonlyMap<string, EndpointDef>;
  /** the store, opened on first use; rejects once the client is closed */
  store(): Promise<Store>;
  /**
   * The store and token signer, with the scheduler started: what serving a
   * request needs. `request`: for a request being served — the scheduler's
   * first claim then waits for its answer (see `answered`).
   */
  use(request?: boolean): Promise<{ store: Store; signer: TokenSigner }>;
  /** A request was answered: a scheduler started for it claims now. */
  answered(): void;
  /** warn once per key */
  warnOnce(key: string, message: string): void;
}

/** What runs for one endpoint: a compiled machine or a plain handler (replay mode). */
export interface EndpointDef {
  /** machine id, or `<client id>:<path>` for a plain handler */
  readonly id: string;
  readonly machine: MachineDefinition | null;
  readonly handler: EndpointHandler | null;
  /** at most this many runs per key execute at once; null: no limit */
  readonly concurrency: EndpointConcurrency | null;
}

export const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] || undefined;

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`new Inngest(): "${name}" must be a number >= 0 (got ${value})`);
  return value;
}

/** The options' settings with their defaults; throws a clear error for an invalid one. */
export function resolveSettings(options: InngestOptions): Settings {
  const leaseFromEnv = env("DURABLE_LEASE_MS");
  return {
    retries: positive(options.retries, 3, "retries"),
    leaseMs: leaseFromEnv !== undefined ? parseDuration(leaseFromEnv, "DURABLE_LEASE_MS") : positive(options.leaseMs, 30_000, "leaseMs"),
    eventRetentionMs: parseDuration(env("DURABLE_EVENT_RETENTION") ?? options.eventRetention ?? "1d", "eventRetention"),
    pollMs: positive(options.pollMs, 20_000, "pollMs"),
    backoff: {
      initialMs: parseDuration(options.backoff?.initial ?? 1000, "backoff.initial"),
      maxMs: parseDuration(options.backoff?.max ?? "1h", "backoff.max"),
    },
    limits: {
      maxSteps: positive(options.maxSteps, 1_000_000, "maxSteps"),
      maxStateBytes: positive(options.maxStateBytes, 16 * 1024 * 1024, "maxStateBytes"),
      maxBodyBytes: positive(options.maxBodyBytes, 1024 * 1024, "maxBodyBytes"),
    },
    persistHeaders: options.persistHeaders === true ? true : (options.persistHeaders ?? []).map((h) => h.toLowerCase()),
    idempotencyScope: options.idempotencyScope ?? callerCredentials,
  };
}
