import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const before = await step.run("before", () => {
    probe("step:before");
    return "ok";
  });
  try {
    probe("try");
    await step.run("broken", () => {
      probe("step:broken");
      throw new NonRetriableError("card declined");
    });
    probe("unreachable");
  } catch (error) {
    probe("catch");
    const e = error as StepError;
    const recovered = await step.run("recover", () => {
      probe("step:recover");
      return "refund";
    });
    probe("recovered");
    return Response.json({
      before,
      recovered,
      isStepError: e instanceof StepError,
      name: e.name,
      message: e.message,
      causeName: (e.cause as Error).name,
      causeMessage: (e.cause as Error).message,
    });
  }
  return new Response("not reached");
});

export const scenario: Scenario = { requests: [{ url: "/catch" }] };
