// The seed page's "Passing Data to Endpoints" example, verbatim (helper added).
import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

async function processAction(userId: string | null, action: string | null) {
  probe("step:process");
  return `${action} for ${userId}`;
}

const inngest = new Inngest({ id: "my-app", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const url = new URL(req.url);

  // Read data from query parameters
  const userId = url.searchParams.get("userId");
  const action = url.searchParams.get("action");

  // Process with durable steps
  const result = await step.run("process", async () => {
    return await processAction(userId, action);
  });

  return Response.json({ result });
});

export const scenario: Scenario = { requests: [{ url: "/api/action?userId=u9&action=archive" }] };
