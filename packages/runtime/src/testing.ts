/**
 * `@durable-endpoints/runtime/testing`: what a test kit needs to host an
 * endpoint in a simulated world — a client on a clock of its own, the
 * handler or machine behind an endpoint function, and what a checkpoint of a
 * machine saves (for hosts of the machine.ts contract in tests). Not part of the main API:
 * `@durable-endpoints/test` is built on it.
 */

export { realClock, withClock, type Clock, type Timer } from "./clock.js";
export { endpointSource, type EndpointSource } from "./client.js";
export { finish, snapshotLocals } from "./serialize.js";
