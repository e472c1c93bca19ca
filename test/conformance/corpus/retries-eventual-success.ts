import { Inngest, RetryAfterError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const setup = await step.run("setup", () => {
    probe("step:setup");
    return "ready";
  });
  probe("calling-flaky");
  const result = await step.run("flaky", () => {
    probe("step:flaky");
    if (failsFirst("flaky", 2)) throw new RetryAfterError("service unavailable", 1);
    return "finally worked";
  });
  probe("end");
  return Response.json({ setup, result });
});

export const scenario: Scenario = { requests: [{ url: "/flaky" }] };
