import { Inngest, RetryAfterError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const [stable, flaky] = await Promise.all([
    step.run("stable", () => {
      probe("step:stable");
      return "stable";
    }),
    step.run("flaky-member", () => {
      probe("step:flaky-member");
      if (failsFirst("flaky-member", 1)) throw new RetryAfterError("not yet", 1);
      return "recovered";
    }),
  ]);
  probe("end");
  return Response.json({ stable, flaky });
});

export const scenario: Scenario = { requests: [{ url: "/all-retry" }] };
