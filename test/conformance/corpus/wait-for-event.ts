import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const requestId = new URL(req.url).searchParams.get("requestId");
  probe("start");
  await step.run("request-approval", () => {
    probe("step:request-approval");
    return requestId;
  });
  probe("waiting");
  const approval = await step.waitForEvent("wait-for-approval", {
    event: "approval/received",
    match: "data.requestId",
    timeout: "10s",
  });
  probe(approval ? "approved" : "timed-out");
  const decision = await step.run("decide", () => {
    probe("step:decide");
    return approval ? `approved by ${approval.data.by}` : "expired";
  });
  probe("end");
  return Response.json({ decision, event: approval && { name: approval.name, data: approval.data } });
});

export const scenario: Scenario = {
  requests: [{ url: "/approve?requestId=r1" }],
  events: {
    "wait-for-approval": [
      { name: "approval/received", data: { requestId: "other", by: "mallory" } },
      { name: "approval/received", data: { requestId: "r1", by: "alice" } },
    ],
  },
};
