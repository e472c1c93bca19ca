import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const value = await (async () => 1)();
  try {
    await step.run("try-step", () => {
      probe("step:try-step");
      return value;
    });
    probe("returning-from-try");
    return Response.json({ from: "try" });
  } finally {
    const late = await step.run("finally-step", () => {
      probe("step:finally-step");
      return "finally";
    });
    probe("finally-returns");
    // eslint-disable-next-line no-unsafe-finally
    return Response.json({ from: late }, { status: 202 });
  }
});

export const scenario: Scenario = { requests: [{ url: "/override" }] };
