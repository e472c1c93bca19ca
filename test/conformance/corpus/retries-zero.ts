import { Inngest, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter, retries: 0 });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const outcome = await step
    .run("once", () => {
      probe("step:once");
      throw new Error("first and only attempt");
    })
    .catch((error: StepError) => `caught: ${error.message}`);
  probe("end");
  return Response.json({ outcome });
});

export const scenario: Scenario = { requests: [{ url: "/no-retries" }] };
