import { durable } from "./core.js";

/** `rollup` plugin: compiles `inngest.endpoint(…)` handlers into durable state machines. */
export default durable.rollup;
