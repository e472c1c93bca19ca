import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  try {
    const body = await step.run("compute", () => {
      probe("step:compute");
      return { answer: 42 };
    });
    probe("returning");
    return Response.json(body, { status: 201, headers: { "x-from": "try" } });
  } finally {
    probe("finally");
    await step.run("audit", () => {
      probe("step:audit");
      return "logged";
    });
    probe("finally-done");
  }
});

export const scenario: Scenario = { requests: [{ url: "/pending-return" }] };
