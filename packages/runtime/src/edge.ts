/**
 * `endpointAdapter`: what `new Inngest({ id, endpointAdapter })` needs to
 * enable `inngest.endpoint()` (the seed imports it from "inngest/edge").
 * Endpoints speak web-standard Request/Response, so one adapter serves Bun,
 * Next.js route handlers, Deno and edge runtimes alike.
 */

export interface EndpointAdapter {
  readonly kind: "durable-endpoints";
  readonly runtime: "web";
}

export const endpointAdapter: EndpointAdapter = Object.freeze({ kind: "durable-endpoints", runtime: "web" });
