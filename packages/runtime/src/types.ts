/** Public types shared by the client, the step tools and compiled machines. */

/** A duration: milliseconds, or a string such as "500ms", "30s", "1h30m", "2d". */
export type Duration = number | string;

/** An event, as sent with `inngest.send` and as returned by `step.waitForEvent`. */
export interface DurableEvent<TData = Record<string, any>> {
  name: string;
  data: TData;
  /** Deduplication id; generated when not given. */
  id: string;
  /** Milliseconds since the epoch; set when not given. */
  ts: number;
}

/** What `inngest.send` accepts. */
export interface EventPayload<TData = Record<string, any>> {
  name: string;
  data?: TData;
  id?: string;
  ts?: number;
}

export interface WaitForEventOptions {
  /** Name of the event to wait for. */
  event: string;
  /** "data.x": the incoming event's data.x must equal the trigger's data.x. */
  match?: string;
  /** CEL expression over `event` (the trigger) and `async` (the incoming event). */
  if?: string;
  /** How long to wait; the step resolves to `null` when it elapses. */
  timeout: Duration | Date;
}

/** Resolved type of a step.run callback's result (Inngest's Jsonify is looser: we keep Date, Map, …). */
export type StepResult<T> = Awaited<T>;

export interface StepTools {
  run<T>(id: string, fn: () => T | Promise<T>): Promise<StepResult<T>>;
  sleep(id: string, duration: Duration): Promise<void>;
  sleepUntil(id: string, until: Date | string | number): Promise<void>;
  waitForEvent<TData = Record<string, any>>(
    id: string,
    options: WaitForEventOptions,
  ): Promise<DurableEvent<TData> | null>;
}

/** A plain (uncompiled) endpoint handler, as the user writes it. */
export type EndpointHandler = (req: Request) => Promise<Response>;

/** Options of `inngest.endpoint(handler, options)`. */
export interface EndpointOptions {
  /** At most `limit` runs of this endpoint (per `key`) execute at once, across every instance sharing the store. */
  concurrency?: ConcurrencyOptions;
}

export interface ConcurrencyOptions {
  /** Runs of one key executing at once: a positive integer. */
  limit: number;
  /**
   * The key a run counts against (e.g. a user id), from the request as it
   * arrived (headers and body readable); may be async. Default: one key for
   * the whole endpoint.
   */
  key?: (req: Request) => string | number | Promise<string | number>;
}
