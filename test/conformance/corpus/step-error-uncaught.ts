import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  await step.run("fine", () => {
    probe("step:fine");
    return 1;
  });
  probe("before-failure");
  await step.run("fatal", () => {
    probe("step:fatal");
    throw new NonRetriableError("no way");
  });
  probe("unreachable");
  return new Response("unreachable");
});

export const scenario: Scenario = { requests: [{ url: "/uncaught-step-error" }] };
