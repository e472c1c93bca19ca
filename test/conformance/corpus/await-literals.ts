import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const order = {
    id: await step.run("id", () => {
      probe("step:id");
      return "o-1";
    }),
    lines: [
      await step.run("line-1", () => {
        probe("step:line-1");
        return { sku: "a", qty: 1 };
      }),
      { sku: "fixed", qty: 0 },
      await step.run("line-2", () => {
        probe("step:line-2");
        return { sku: "b", qty: 2 };
      }),
    ],
    [await step.run("key", () => {
      probe("step:key");
      return "computed";
    })]: true,
    ...(await step.run("extra", () => {
      probe("step:extra");
      return { extra: 1 };
    })),
  };
  probe("end");
  return Response.json(order);
});

export const scenario: Scenario = { requests: [{ url: "/literals" }] };
