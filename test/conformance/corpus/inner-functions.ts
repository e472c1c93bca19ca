import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let multiplier = 2;
  function scale(n: number): number {
    return n * multiplier;
  }
  const offset = (n: number) => n + multiplier;
  probe("start");
  const base = await step.run("base", () => {
    probe("step:base");
    return 10;
  });
  multiplier = 3;
  probe("changed-multiplier");
  const scaled = await step.run("scale", () => {
    probe("step:scale");
    return scale(base);
  });
  probe("end");
  return Response.json({ scaled, offset: offset(scaled), direct: scale(1) });
});

export const scenario: Scenario = { requests: [{ url: "/inner-functions" }] };
