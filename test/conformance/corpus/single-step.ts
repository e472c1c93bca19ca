import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const value = await step.run("one", () => {
    probe("step:one");
    return 41;
  });
  probe("after");
  return Response.json({ value: value + 1 });
});

export const scenario: Scenario = { requests: [{ url: "/single" }] };
