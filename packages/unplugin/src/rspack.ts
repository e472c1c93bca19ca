import { durable } from "./core.js";

/** `rspack` plugin: compiles `inngest.endpoint(…)` handlers into durable state machines. */
export default durable.rspack;
