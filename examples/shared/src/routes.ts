import { approve, checkout, trace } from "./endpoints.js";

const routes: Record<string, (req: Request) => Promise<Response>> = {
  "/api/checkout": checkout,
  "/api/trace": trace,
  "/api/approve": approve,
};

/** The example app as one fetch handler (Bun.serve, node:http via toNodeHandler, …). */
export function handle(req: Request): Promise<Response> {
  const route = routes[new URL(req.url).pathname];
  return route ? route(req) : Promise.resolve(Response.json({ error: "not found" }, { status: 404 }));
}
