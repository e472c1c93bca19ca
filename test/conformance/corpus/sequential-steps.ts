import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const a = await step.run("a", () => {
    probe("step:a");
    return 1;
  });
  probe("after-a");
  const b = await step.run("b", () => {
    probe("step:b");
    return a + 10;
  });
  probe("after-b");
  const c = await step.run("c", () => {
    probe("step:c");
    return a + b + 100;
  });
  probe("end");
  return Response.json({ a, b, c });
});

export const scenario: Scenario = { requests: [{ url: "/seq" }] };
