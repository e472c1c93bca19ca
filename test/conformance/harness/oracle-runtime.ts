/**
 * The oracle: an independent, plain-semantics implementation of the public
 * API (`Inngest`, `step`, the error classes, `endpointAdapter`). It runs the
 * UNCOMPILED handler once, straight through, with no store and no crashes:
 * `step.run` calls its function (with retries), `sleep` returns at once,
 * `waitForEvent` answers from the scenario's scripted events. What it returns
 * is, by definition, the correct answer for every other mode.
 *
 * Deliberately shares no code with @durable-endpoints/runtime.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { evaluate } from "@marcbachmann/cel-js";
import type { ScriptedEvent } from "../scenario.js";

export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NonRetriableError";
  }
}

export class RetryAfterError extends Error {
  constructor(
    message: string,
    readonly retryAfter: number | string | Date,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RetryAfterError";
  }
}

export class StepError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "StepError";
  }
}

/** Marker object; the real one comes from "@durable-endpoints/runtime/edge". */
export const endpointAdapter = { oracle: true } as const;

interface OracleRun {
  retries: number;
  /** set when the handler settled: a finished run retries nothing (its pending retries are abandoned) */
  finished: boolean;
  trigger: { name: string; data: Record<string, unknown> };
  events: Record<string, ScriptedEvent[]>;
}

const runContext = new AsyncLocalStorage<OracleRun>();
let scriptedEvents: Record<string, ScriptedEvent[]> = {};

/** Events the next oracle runs answer `waitForEvent` with (by wait step id). */
export function setOracleEvents(events: Record<string, ScriptedEvent[]> | undefined): void {
  scriptedEvents = events ?? {};
}

function currentRun(): OracleRun {
  const run = runContext.getStore();
  if (!run) throw new Error("oracle: step tools used outside an endpoint run");
  return run;
}

/** A step result is what survives serialization: a deep copy, never the original object. */
function copy<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

async function triggerData(req: Request): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = Object.fromEntries(new URL(req.url).searchParams);
  if (req.method !== "GET" && req.method !== "HEAD") {
    try {
      const body: unknown = await req.clone().json();
      if (body && typeof body === "object" && !Array.isArray(body)) Object.assign(data, body);
    } catch {
      // not a JSON body: only the query counts
    }
  }
  return data;
}

function readPath(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, key) => (v == null ? undefined : (v as Record<string, unknown>)[key]), value);
}

let eventCounter = 0;

export const step = {
  async run<T>(id: string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    const run = currentRun();
    for (let attempt = 0; ; attempt++) {
      try {
        return copy(await fn());
      } catch (error) {
        if (error instanceof NonRetriableError || attempt >= run.retries) {
          const message = error instanceof Error ? error.message : String(error);
          throw new StepError(message, { cause: error });
        }
        // a retry happens later, after whatever else already started (e.g. Promise.all siblings)
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (run.finished) return new Promise<never>(() => {});
      }
    }
  },

  async sleep(_id: string, _duration: number | string): Promise<void> {},

  async sleepUntil(_id: string, _until: Date | string | number): Promise<void> {},

  async waitForEvent(
    id: string,
    options: { event: string; match?: string; if?: string; timeout: number | string | Date },
  ): Promise<{ name: string; data: Record<string, unknown>; id: string; ts: number } | null> {
    const run = currentRun();
    for (const candidate of run.events[id] ?? []) {
      const event = { name: candidate.name, data: candidate.data ?? {}, id: `oracle-${++eventCounter}`, ts: Date.now() };
      if (event.name !== options.event) continue;
      if (options.match && readPath(event, options.match) !== readPath(run.trigger, options.match)) continue;
      if (options.if && evaluate(options.if, { event: run.trigger, async: event }) !== true) continue;
      return event;
    }
    return null;
  },
};

type Handler = (req: Request) => Promise<Response>;

export class Inngest {
  readonly id: string;
  private readonly retries: number;
  private readonly hasAdapter: boolean;

  constructor(options: { id: string; endpointAdapter?: unknown; retries?: number }) {
    this.id = options.id;
    this.retries = options.retries ?? 3;
    this.hasAdapter = options.endpointAdapter !== undefined;
  }

  endpoint(handler: Handler): Handler {
    if (!this.hasAdapter) throw new Error("inngest.endpoint() needs an endpointAdapter");
    return async (req) => {
      const run: OracleRun = {
        retries: this.retries,
        finished: false,
        trigger: { name: "http/request", data: await triggerData(req) },
        events: scriptedEvents,
      };
      try {
        return await runContext.run(run, () => handler(req));
      } finally {
        run.finished = true;
      }
    };
  }

  async send(): Promise<void> {
    throw new Error("oracle: inngest.send is not used by the corpus");
  }
}
