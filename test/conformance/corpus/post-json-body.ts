import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const stamp = await step.run("stamp", () => {
    probe("step:stamp");
    return "stamped";
  });
  const body = (await req.json()) as { items: number[] };
  probe("parsed");
  const sum = await step.run("sum", () => {
    probe("step:sum");
    return body.items.reduce((a, b) => a + b, 0);
  });
  probe("end");
  return Response.json({ stamp, sum, count: body.items.length });
});

export const scenario: Scenario = {
  requests: [{ url: "/orders", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ items: [1, 2, 3] }) }],
};
