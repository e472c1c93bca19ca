// The seed's imports: the bundler plugin's `alias: true` points them at @durable-endpoints/runtime.
import { Inngest } from "inngest";
import { endpointAdapter } from "inngest/edge";

// No I/O here: the store opens on first use (bundlers may import this module at build time).
export const inngest = new Inngest({ id: "examples", endpointAdapter });
