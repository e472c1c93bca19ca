import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async function checkout(req: Request): Promise<Response> {
  probe("start");
  const total = await step.run("total", () => {
    probe("step:total");
    return 99;
  });
  probe("end");
  return Response.json({ total, via: "function expression" });
});

export const scenario: Scenario = { requests: [{ url: "/function-expression" }] };
