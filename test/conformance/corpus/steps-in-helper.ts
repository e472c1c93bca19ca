import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

async function chargeAndShip(orderId: string): Promise<string> {
  probe("~helper-start");
  const charge = await step.run(`charge-${orderId}`, () => {
    probe(`step:charge-${orderId}`);
    return `ch_${orderId}`;
  });
  probe("~helper-middle");
  const shipment = await step.run(`ship-${orderId}`, () => {
    probe(`step:ship-${orderId}`);
    return `sh_${orderId}`;
  });
  return `${charge}/${shipment}`;
}

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const first = await chargeAndShip("o1");
  probe("first-done");
  const second = await chargeAndShip("o2");
  probe("end");
  return Response.json({ first, second });
});

export const scenario: Scenario = { requests: [{ url: "/helpers" }] };
