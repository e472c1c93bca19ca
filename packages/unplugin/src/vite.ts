import { durable } from "./core.js";

/** `vite` plugin: compiles `inngest.endpoint(…)` handlers into durable state machines. */
export default durable.vite;
