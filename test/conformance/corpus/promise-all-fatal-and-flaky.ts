import { Inngest, NonRetriableError, RetryAfterError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter, retries: 2 });

// One member fails for good at once, the other keeps failing and is retried: like plain
// JavaScript, Promise.all must reject with the first failure (in time), "b invalid".
export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  try {
    await Promise.all([
      step.run("a", () => {
        probe("step:a");
        throw new RetryAfterError("a down", 1);
      }),
      step.run("b", () => {
        probe("step:b");
        throw new NonRetriableError("b invalid");
      }),
    ]);
  } catch (error) {
    probe("caught");
    return Response.json({ failed: (error as StepError).message }, { status: 502 });
  }
  return new Response("unreachable");
});

export const scenario: Scenario = { requests: [{ url: "/fatal-and-flaky" }] };
