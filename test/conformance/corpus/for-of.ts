import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const ids = new URL(req.url).searchParams.getAll("id");
  const prices: Record<string, number> = {};
  let total = 0;
  probe("start");
  for (const id of ids) {
    const item = await step.run("price", () => {
      probe("step:price");
      return { id, price: id.length * 10 };
    });
    prices[item.id] = item.price;
    total += item.price;
    probe(`priced-${id}`);
  }
  probe("end");
  return Response.json({ total, prices });
});

export const scenario: Scenario = { requests: [{ url: "/for-of?id=a&id=bb&id=ccc" }] };
