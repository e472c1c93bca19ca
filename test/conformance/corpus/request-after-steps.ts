import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  await step.run("first", () => {
    probe("step:first");
    return 1;
  });
  await step.sleep("pause", "1ms");
  const url = new URL(req.url);
  probe("read-request");
  return Response.json({
    method: req.method,
    path: url.pathname,
    user: url.searchParams.get("user"),
    lang: req.headers.get("accept-language"),
  });
});

export const scenario: Scenario = {
  requests: [{ url: "/whoami?user=u1", headers: { "accept-language": "fr" } }],
};
