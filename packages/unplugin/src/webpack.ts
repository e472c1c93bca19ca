import { durable } from "./core.js";

/** `webpack` plugin: compiles `inngest.endpoint(…)` handlers into durable state machines. */
export default durable.webpack;
