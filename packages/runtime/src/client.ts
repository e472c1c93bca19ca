/**
 * The client: `new Inngest({ id, endpointAdapter, … })`. Constructing it (or
 * an endpoint) does no I/O — bundlers import route modules at build time. The
 * store opens, the signing key loads and the scheduler starts on first use.
 */

import { clockOf } from "./clock.js";
import { randomId, TokenSigner } from "./crypto.js";
import type { EndpointAdapter } from "./edge.js";
import { endpointConcurrency, type EndpointConcurrency } from "./concurrency.js";
import { Engine } from "./engine.js";
import { ambient } from "./execution.js";
import { HttpError } from "./errors.js";
import { eventMatcher, eventRecord, normalizeEvent } from "./events.js";
import { isMachine, type MachineDefinition } from "./machine.js";
import { Protocol } from "./protocol.js";
import { Scheduler } from "./scheduler.js";
import { env, resolveSettings, type EndpointDef, type Logger, type Services } from "./services.js";
import { retryRun, type CancelOptions } from "./run-control.js";
import type { RunChange, RunStatus, Store } from "./store.js";
import { openStore } from "./stores/open.js";
import type { Duration, EndpointHandler, EndpointOptions, EventPayload } from "./types.js";

/** Plain handlers' request paths the client keeps an endpoint for (the most recently used). */
const TRACKED_PATHS = 1000;
/** The longest the first claim of a scheduler started by a request waits for that request's answer. */
const FIRST_CLAIM_MS = 100;
/** A plain handler's endpoint is named by its request path: a longer one is 414. */
const MAX_PLAIN_PATH = 2048;

export interface InngestOptions {
  /** Application id; names the default SQLite file `./.durable/<id>.db`. */
  id: string;
  /** Required for `inngest.endpoint()`: `import { endpointAdapter } from "@durable-endpoints/runtime/edge"`. */
  endpointAdapter?: EndpointAdapter;
  /** Where runs live. Default: `DURABLE_STORE_URL`, else SQLite at `./.durable/<id>.db`. */
  store?: Store;
  /** Retries after a step's first failed attempt (default 3, i.e. 4 attempts). */
  retries?: number;
  /** Lease of a run while it executes (default 30 s; env DURABLE_LEASE_MS). */
  leaseMs?: number;
  /**
   * How long sent events are kept (default 1 day; env DURABLE_EVENT_RETENTION): their ids dedupe sends for
   * that long. An event a wait may still match (sent at or after an open wait began) is kept whatever its age.
   */
  eventRetention?: Duration;
  /** HMAC key for poll tokens (env DURABLE_SIGNING_KEY; default: generated once, kept in the store). */
  signingKey?: string;
  /** How long a GET on the poll URL waits for the run to finish (default 20 s). */
  pollMs?: number;
  /** Default: console. */
  logger?: Logger;
  /** Largest request body persisted with a run (default 1 MiB; 413 past it). */
  maxBodyBytes?: number;
  /** Request headers to persist beyond the allowlist (content negotiation, tracing, …); `true` for all. */
  persistHeaders?: readonly string[] | true;
  /**
   * Who the caller of a request is, for the scope of its Idempotency-Key: the
   * same key from another caller starts another run. Default: the credentials
   * the request carries (`Authorization`, `Cookie`, `X-Api-Key`); `""` = one
   * scope for everybody. Only a keyed hash of it is stored.
   */
  idempotencyScope?: (req: Request) => string | Promise<string>;
  /** Most steps one run may settle (default 1,000,000). */
  maxSteps?: number;
  /** Largest serialized step result / set of captured locals (default 16 MiB). */
  maxStateBytes?: number;
  /** Retry backoff: `initial * 2^(attempt-1)` capped at `max`, with jitter (defaults 1 s, 1 h). */
  backoff?: { initial?: Duration; max?: Duration };
}

/** What `inngest.endpoint()` was given, and by which client: a test kit re-hosts it (see `endpointSource`). */
export interface EndpointSource {
  readonly handler: EndpointHandler | MachineDefinition;
  readonly options: InngestOptions;
  /** the endpoint's own options (concurrency) */
  readonly endpointOptions?: EndpointOptions;
}

/** A registry symbol, so a test kit finds the source even through another copy of the runtime. */
const SOURCE = Symbol.for("durable-endpoints.endpoint-source");

/** The handler or machine an endpoint function was made from, with its client's options; null for anything else. */
export function endpointSource(endpoint: unknown): EndpointSource | null {
  return typeof endpoint === "function" ? ((endpoint as { [SOURCE]?: EndpointSource })[SOURCE] ?? null) : null;
}

export class Inngest {
  readonly id: string;
  private readonly options: InngestOptions;
  private readonly services: Services;
  private readonly engine: Engine;
  private readonly scheduler: Scheduler;
  private readonly protocol: Protocol;
  private readonly endpoints = new Map<string, EndpointDef>();
  /** plain handlers' endpoints by id, least recently used first */
  private readonly plainPaths = new Map<string, EndpointDef>();
  private readonly closer = new AbortController();
  private storePromise: Promise<Store> | null = null;
  private signer: TokenSigner | null = null;
  private started = false;
  /** the scheduler was started by a request: its first claim waits for that request's answer */
  private claimWhenAnswered = false;

  constructor(options: InngestOptions) {
    if (!options || typeof options.id !== "string" || options.id === "") {
      throw new TypeError('new Inngest(): "id" must be a non-empty string, e.g. new Inngest({ id: "my-app", endpointAdapter })');
    }
    this.id = options.id;
    this.options = options;
    const warned = new Set<string>();
    const logger = options.logger ?? console;
    this.services = {
      ...resolveSettings(options),
      clientId: options.id,
      owner: randomId(),
      clock: clockOf(options),
      logger,
      closing: this.closer.signal,
      endpoints: this.endpoints,
      store: () => this.store(),
      use: (request) => this.use(request),
      answered: () => {
        if (!this.claimWhenAnswered) return;
        this.claimWhenAnswered = false;
        this.scheduler.kick();
      },
      warnOnce: (key, message) => {
        if (warned.has(key)) return;
        warned.add(key);
        logger.warn(message);
      },
    };
    this.engine = new Engine(this.services, (wakeAt) => this.scheduler.notify(wakeAt));
    this.scheduler = new Scheduler(this.services, (run) => this.engine.resumeClaimed(run));
    this.protocol = new Protocol(this.services, this.engine);
  }

  /**
   * Makes `handler` durable: returns `(req: Request) => Promise<Response>`.
   * Accepts a plain async handler (replay mode) or the machine the build
   * plugin compiles it into. `options.concurrency` limits the runs executing
   * at once (per key) across every instance sharing the store.
   */
  endpoint(handler: EndpointHandler | MachineDefinition, options?: EndpointOptions): (req: Request) => Promise<Response> {
    const endpoint = this.serve(handler, endpointConcurrency(options));
    const source: EndpointSource = { handler, options: this.options, endpointOptions: options };
    return Object.defineProperty(endpoint, SOURCE, { value: source });
  }

  private serve(handler: EndpointHandler | MachineDefinition, concurrency: EndpointConcurrency | null): (req: Request) => Promise<Response> {
    if (!this.options.endpointAdapter) {
      throw new Error(
        'inngest.endpoint() needs a client created with an endpointAdapter: new Inngest({ id, endpointAdapter }), with import { endpointAdapter } from "@durable-endpoints/runtime/edge" (or "inngest/edge")',
      );
    }
    if (isMachine(handler)) {
      const def: EndpointDef = { id: handler.id, machine: handler, handler: null, concurrency };
      this.endpoints.set(def.id, def);
      return (req) => this.protocol.handle(req, def);
    }
    if (typeof handler !== "function") {
      throw new TypeError("inngest.endpoint() expects an async (req: Request) => Response handler");
    }
    // an uncompiled handler is identified by client id + request path
    return async (req) => {
      const path = endpointPath(req.url);
      if (path.length > MAX_PLAIN_PATH) {
        return new HttpError(414, `The request path is longer than ${MAX_PLAIN_PATH} characters`, { name: "URITooLong" }).getResponse();
      }
      return this.protocol.handle(req, this.plainEndpoint(`${this.id}:${path}`, handler, concurrency));
    };
  }

  /**
   * The endpoint of a plain handler at one path. The client keeps those of
   * the TRACKED_PATHS paths used last (the scheduler resumes their runs), so
   * neither memory nor the scheduler's queries grow with every path ever
   * requested; a run on a forgotten path resumes through its poll URL, an
   * Idempotency-Key retry, or the next request to its path.
   */
  private plainEndpoint(id: string, handler: EndpointHandler, concurrency: EndpointConcurrency | null): EndpointDef {
    let def = this.plainPaths.get(id);
    if (def?.handler === handler && def.concurrency === concurrency) this.plainPaths.delete(id); // re-inserted below: most recently used
    else def = { id, machine: null, handler, concurrency };
    this.plainPaths.set(id, def);
    this.endpoints.set(id, def);
    if (this.plainPaths.size > TRACKED_PATHS) {
      const oldest = this.plainPaths.keys().next().value!;
      this.plainPaths.delete(oldest);
      this.endpoints.delete(oldest);
    }
    return def;
  }

  /** Delivers events to runs waiting in `step.waitForEvent` (deduplicated by `id`). Returns the events' ids. */
  async send(events: EventPayload | EventPayload[]): Promise<{ ids: string[] }> {
    const { clock } = this.services;
    const now = clock.now();
    const list = (Array.isArray(events) ? events : [events]).map((e) => normalizeEvent(e, now));
    const records = list.map(eventRecord);
    // sent by a run: a wait it begins later must not take them, even when its clock reads their `ts` or earlier
    if (ambient.exact) ambient.current()?.sent(list, now);
    const { store } = await this.use();
    const woken = await store.sendEvents(records, eventMatcher(), clock.now());
    if (woken.length > 0) this.scheduler.kick();
    return { ids: list.map((e) => e.id) };
  }

  /**
   * Cancels a run: a sleep or a wait stops at once, a step attempt in flight
   * finishes (its outcome is kept) and nothing after it runs; the handler's
   * `req.signal` aborts. Polls and re-attaches then get `409` RunCancelled.
   * `changed` is false when the run had already finished. Null for an unknown run.
   */
  async cancel(runId: string, options: CancelOptions = {}): Promise<RunControlResult | null> {
    return result(await this.engine.cancel(runId, options));
  }

  /**
   * Runs a failed run again from where it failed: its failed steps get a fresh
   * attempt budget, completed ones are not re-run, and it resumes at its last
   * checkpointed state (replaying by step id if the deployed version differs).
   * `changed` is false when the run had not failed. Null for an unknown run.
   */
  async retry(runId: string): Promise<RunControlResult | null> {
    const { store } = await this.use();
    const change = await retryRun(store, runId, this.services.clock.now());
    if (change?.changed) this.scheduler.kick();
    return result(change);
  }

  /**
   * Opens the store and starts the scheduler now instead of on the first
   * request — for a process that should resume due runs right away.
   */
  async start(): Promise<void> {
    await this.use();
  }

  /** Stops timers and long-polls, gives up the leases of executing runs, closes the store. */
  async close(): Promise<void> {
    if (this.closer.signal.aborted) return;
    this.closer.abort();
    this.scheduler.stop();
    const released = this.engine.close(); // its executions stop writing right now
    if (!this.storePromise) return;
    const store = await this.storePromise;
    await released(store);
    await store.close();
  }

  private store(): Promise<Store> {
    if (this.closer.signal.aborted) return Promise.reject(new Error(`Inngest client "${this.id}" is closed`));
    this.storePromise ??= this.options.store ? Promise.resolve(this.options.store) : openStore(env("DURABLE_STORE_URL"), this.id);
    return this.storePromise;
  }

  /** What `use` resolves to once the store is open and the scheduler started, while its signer stands. */
  private ready: { signer: TokenSigner; used: Promise<{ store: Store; signer: TokenSigner }> } | null = null;

  private use(request = false): Promise<{ store: Store; signer: TokenSigner }> {
    // every request asks: once ready, the same settled promise (no async function, no await of the store's)
    const { ready } = this;
    if (ready !== null && ready.signer === this.signer && !this.closer.signal.aborted) return ready.used;
    return this.useFirst(request);
  }

  private async useFirst(request: boolean): Promise<{ store: Store; signer: TokenSigner }> {
    const store = await this.store();
    if (!this.signer) {
      const secret = this.options.signingKey ?? env("DURABLE_SIGNING_KEY");
      const key = secret !== undefined ? Promise.resolve(secret) : store.getOrSetMeta("signing-key", randomId(32));
      // a failed key load (store briefly unavailable) must not stick: the next request tries again
      key.catch(() => (this.signer = null));
      this.signer = new TokenSigner(key);
    }
    if (!this.started) {
      this.started = true;
      // A fresh client's first claim (a write transaction on SQL stores) would compete with the request that
      // started it — a serverless invocation answering its poll: it waits for the answer, or FIRST_CLAIM_MS.
      this.claimWhenAnswered = request;
      this.scheduler.start(request ? FIRST_CLAIM_MS : 0).catch((error) => this.services.logger.error("[durable] scheduler failed to start", error));
    }
    const used = { store, signer: this.signer };
    this.ready = { signer: used.signer, used: Promise.resolve(used) };
    return used;
  }
}

/** What `cancel` / `retry` report: the run's status now, and whether the call changed it. */
export interface RunControlResult {
  runId: string;
  status: RunStatus;
  changed: boolean;
}

const result = (change: RunChange | null): RunControlResult | null =>
  change && { runId: change.run.id, status: change.run.status, changed: change.changed };

/** The path naming a plain handler's endpoint: `/x/` is `/x`, as Express and Next.js route them. */
function endpointPath(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return "/";
  }
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
