// The seed page's first example, verbatim (only the helper it calls is added).
import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

async function fetchExternalAPI() {
  probe("step:fetch-data");
  return { temperature: 21 };
}

const inngest = new Inngest({ id: "my-app", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const data = await step.run("fetch-data", async () => {
    return await fetchExternalAPI();
  });

  return Response.json({ data });
});

export const scenario: Scenario = { requests: [{ url: "/api/data" }] };
