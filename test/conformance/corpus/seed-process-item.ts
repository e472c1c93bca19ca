// The seed page's `inngest.endpoint(handler)` example, verbatim (helper added).
import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

async function processItem(id: string | null) {
  probe("step:process");
  return { id, processed: true };
}

const inngest = new Inngest({
  id: "my-app",
  endpointAdapter,
});

export const handler = inngest.endpoint(
  async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const id = url.searchParams.get("id");

    const result = await step.run("process", async () => {
      return await processItem(id);
    });

    return Response.json({ result });
  }
);

export const scenario: Scenario = { requests: [{ url: "/api/process?id=42" }] };
