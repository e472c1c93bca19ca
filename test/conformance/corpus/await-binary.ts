import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let calls = 0;
  const bump = () => ++calls;
  probe("start");
  const sum = bump() + (await step.run("x", () => {
    probe("step:x");
    return 10;
  }));
  probe("sum");
  const product = (await step.run("y", () => {
    probe("step:y");
    return 3;
  })) * (await step.run("z", () => {
    probe("step:z");
    return 4;
  })) - bump();
  probe("product");
  const compared = (await step.run("w", () => {
    probe("step:w");
    return 5;
  })) > bump();
  probe("end");
  return Response.json({ sum, product, compared, calls });
});

export const scenario: Scenario = { requests: [{ url: "/binary" }] };
