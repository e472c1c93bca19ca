import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const stock: Record<string, number> = { apples: 3, pears: 0, plums: 7 };
  const restocked: string[] = [];
  probe("start");
  for (const fruit in stock) {
    probe(`check-${fruit}`);
    if (stock[fruit] === 0) continue;
    stock[fruit] = await step.run(`restock-${fruit}`, () => {
      probe(`step:restock-${fruit}`);
      return stock[fruit]! + 1;
    });
    restocked.push(fruit);
  }
  probe("end");
  return Response.json({ stock, restocked });
});

export const scenario: Scenario = { requests: [{ url: "/for-in" }] };
