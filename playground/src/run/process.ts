/**
 * A simulated server process: a fresh evaluation of the user's module whose
 * Inngest clients all use one shared store (through {@link processStore}).
 * "Crashing" a process kills its store access; "resuming" means starting a
 * new process on the same store and letting it take the run over.
 */
import * as runtime from "@durable-endpoints/runtime";
import * as edge from "@durable-endpoints/runtime/edge";
import type { EventPayload, Store } from "@durable-endpoints/runtime";
import { evaluateModule } from "./evaluate.js";
import { processStore, type ProcessStoreHooks } from "./process-store.js";

/** Short leases so a new process can take a dead one's run over within a second. */
const LEASE_MS = 600;
const POLL_MS = 1500;

type Client = InstanceType<typeof runtime.Inngest>;
type Handler = (req: Request) => Promise<Response>;

export interface ProcessOptions {
  name: string;
  /** module code to evaluate (compiled or not, instrumented with `__hit`) */
  code: string;
  /** the export to call (the endpoint's binding name) */
  exportName: string;
  db: Store;
  crashAfter?: string;
  hooks: ProcessStoreHooks;
  hit(line: number): void;
  /** the runtime's errors (its warnings repeat what the timeline already shows) */
  logError(message: string): void;
}

export class PlaygroundProcess {
  readonly name: string;
  /** resolves with the step id after which this process was killed */
  readonly crashed: Promise<string>;
  readonly handler: Handler;
  private readonly clients: Client[] = [];

  constructor(options: ProcessOptions) {
    this.name = options.name;
    let onCrash!: (stepId: string) => void;
    this.crashed = new Promise((resolve) => (onCrash = resolve));
    const store = processStore(options.db, options.crashAfter, {
      ...options.hooks,
      crash(stepId) {
        options.hooks.crash(stepId);
        onCrash(stepId);
      },
    });
    const clients = this.clients;
    const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
    const logger = { info: () => {}, warn: () => {}, error: (...args: unknown[]) => options.logError(text(args)) };
    class PlaygroundInngest extends runtime.Inngest {
      constructor(config: ConstructorParameters<typeof runtime.Inngest>[0]) {
        super({ ...config, store, leaseMs: LEASE_MS, pollMs: POLL_MS, logger });
        clients.push(this);
      }
    }
    const inngest = { ...runtime, Inngest: PlaygroundInngest };
    const exports = evaluateModule(
      options.code,
      { inngest, "inngest/edge": edge, "@durable-endpoints/runtime": inngest, "@durable-endpoints/runtime/edge": edge },
      options.hit,
    );
    this.handler = findHandler(exports, options.exportName);
  }

  /** Sends a request to the handler; "crashed" if the process dies before answering. */
  request(req: Request): Promise<Response | "crashed"> {
    return Promise.race([this.handler(req), this.crashed.then(() => "crashed" as const)]);
  }

  async send(event: EventPayload): Promise<void> {
    const client = this.clients[0];
    if (!client) throw new Error("The module created no Inngest client.");
    await client.send(event);
  }

  /** Stops a live process's timers. A crashed one is simply abandoned (its store calls hang). */
  async close(alive: boolean): Promise<void> {
    if (alive) await Promise.all(this.clients.map((c) => c.close()));
  }
}

function findHandler(exports: Record<string, unknown>, name: string): Handler {
  const handler = exports[name] ?? exports.default;
  if (typeof handler !== "function") {
    throw new Error(`Export the endpoint to run it: \`export const ${name} = inngest.endpoint(…)\`.`);
  }
  return handler as Handler;
}
