import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const n = await step.run("n", () => {
    probe("step:n");
    return 3;
  });
  probe("check");
  if (n > 2) throw new Error(`n too large: ${n}`);
  return Response.json({ n });
});

export const scenario: Scenario = { requests: [{ url: "/throw" }] };
