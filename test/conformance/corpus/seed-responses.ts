// The seed page's "Returning Responses" snippets, verbatim, one per branch.
import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "my-app", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const kind = new URL(req.url).searchParams.get("kind");
  const result = await step.run("load", () => {
    probe("step:load");
    return { kind };
  });
  if (kind === "json") {
    // JSON response
    return Response.json({ success: true, data: result });
  }
  if (kind === "text") {
    // Text response
    return new Response("OK", { status: 200 });
  }
  // Error response
  return new Response(JSON.stringify({ error: "Not found" }), {
    status: 404,
    headers: { "Content-Type": "application/json" },
  });
});

export const scenario: Scenario = {
  requests: [{ url: "/api/r?kind=json" }, { url: "/api/r?kind=text" }, { url: "/api/r?kind=error" }],
};
