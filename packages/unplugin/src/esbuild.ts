import { durable } from "./core.js";

/** `esbuild` plugin: compiles `inngest.endpoint(…)` handlers into durable state machines. */
export default durable.esbuild;
