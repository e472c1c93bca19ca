// The seed page's step primitive snippets (step.run, step.sleep,
// step.waitForEvent) verbatim, composed into one endpoint.
import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const db = {
  users: {
    async findOne(query: { id: string | null }) {
      probe("step:fetch-user");
      return { id: query.id, name: "Ada" };
    },
  },
};

const inngest = new Inngest({ id: "my-app", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const userId = new URL(req.url).searchParams.get("userId");
  const user = await step.run("fetch-user", async () => {
    return await db.users.findOne({ id: userId });
  });
  await step.sleep("rate-limit-pause", "30ms");
  const approval = await step.waitForEvent("wait-for-approval", {
    event: "approval/received",
    match: "data.requestId",
    timeout: "24h",
  });
  return Response.json({ user, approved: approval?.data.approved ?? false });
});

export const scenario: Scenario = {
  requests: [{ url: "/api/approve?userId=u1&requestId=req-1" }],
  events: { "wait-for-approval": [{ name: "approval/received", data: { requestId: "req-1", approved: true } }] },
};
