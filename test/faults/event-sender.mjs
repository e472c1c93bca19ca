// A process that only sends events, sharing the run's store (DURABLE_STORE_URL): POST /send (body: an
// event) → the runtime's sendEvents() on its own connection — a process that never runs the run, as an
// event from another service would come. It never claims runs (no client, no scheduler); the instances
// that serve the endpoint resume the runs its events wake.
import { openStore, sendEvents } from "@durable-endpoints/runtime";
import { serve } from "../support/app-child.mjs";

const store = await openStore(process.env.DURABLE_STORE_URL, "faults-sender");

serve({
  "/send": async (req, res) => {
    if (req.method !== "POST") return res.writeHead(405).end();
    try {
      let body = "";
      for await (const chunk of req) body += chunk;
      const { ids } = await sendEvents(store, JSON.parse(body));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ids }));
    } catch (error) {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
    }
  },
});
