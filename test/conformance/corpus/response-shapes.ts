import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const kind = new URL(req.url).searchParams.get("kind");
  probe("start");
  const found = await step.run("lookup", () => {
    probe("step:lookup");
    return kind === "found";
  });
  probe("end");
  if (kind === "text") return new Response("OK", { status: 200 });
  if (!found) {
    return new Response(JSON.stringify({ error: "Not found" }), {
      status: 404,
      headers: { "Content-Type": "application/json", "X-Trace": "t-1" },
    });
  }
  return Response.json({ success: true, data: found }, { headers: { "cache-control": "no-store" } });
});

export const scenario: Scenario = {
  requests: [{ url: "/shape?kind=text" }, { url: "/shape?kind=found" }, { url: "/shape?kind=missing" }],
};
