import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const [a, b, c] = await Promise.all([
    step.run("all-a", () => {
      probe("step:all-a");
      return "a";
    }),
    step.run("all-b", () => {
      probe("step:all-b");
      return "b";
    }),
    step.run("all-c", () => {
      probe("step:all-c");
      return "c";
    }),
  ]);
  probe("joined");
  const after = await step.run("after", () => {
    probe("step:after");
    return a + b + c;
  });
  probe("end");
  return Response.json({ after });
});

export const scenario: Scenario = { requests: [{ url: "/all" }] };
