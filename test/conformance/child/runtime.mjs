// What a compiled corpus module imports as "@durable-endpoints/runtime" inside
// a crash child process: the built runtime, with the child's instrumented
// SQLite store and short poll injected into every client.
import * as runtime from "@durable-endpoints/runtime";

export * from "@durable-endpoints/runtime";

export class Inngest extends runtime.Inngest {
  constructor(options) {
    super({ ...options, store: globalThis.__conformanceStore, pollMs: 200, logger: { info() {}, warn() {}, error() {} } });
  }
}
