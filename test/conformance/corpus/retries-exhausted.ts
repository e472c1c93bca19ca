import { Inngest, RetryAfterError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  try {
    await step.run("always-down", () => {
      probe("step:always-down");
      throw new RetryAfterError("still down", "2ms");
    });
    probe("unreachable");
  } catch (error) {
    probe("gave-up");
    const e = error as StepError;
    return Response.json(
      { isStepError: e instanceof StepError, message: e.message, cause: (e.cause as Error).name },
      { status: 503 },
    );
  }
  return new Response("unreachable");
});

export const scenario: Scenario = { requests: [{ url: "/exhausted" }] };
