/**
 * What corpus modules import as "@durable-endpoints/runtime" (or "inngest")
 * when they run on the real runtime: the real package, except that `Inngest`
 * gets the simulated process's store, lease and poll settings, so each
 * re-evaluation of the module is a fresh client of a new "process".
 */
import * as runtime from "@durable-endpoints/runtime";
import { loadingProcess } from "./process.js";

export * from "@durable-endpoints/runtime";

type Options = ConstructorParameters<typeof runtime.Inngest>[0];

export class Inngest extends runtime.Inngest {
  readonly #mutate;

  constructor(options: Options) {
    const process = loadingProcess();
    super({ ...options, ...process.options });
    process.clients.push(this);
    this.#mutate = process.mutate;
  }

  override endpoint(handler: Parameters<runtime.Inngest["endpoint"]>[0]) {
    const mutate = this.#mutate;
    return super.endpoint(mutate && runtime.isMachine(handler) ? (mutate(handler as never) as never) : handler);
  }
}
