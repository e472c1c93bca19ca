import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let acc = 0;
  const history: number[] = [];
  probe("start");
  for (let i = 1; i <= 12; i++) {
    acc = await step.run("accumulate", () => {
      probe("step:accumulate");
      return acc + i;
    });
    if (i % 4 === 0) {
      history.push(acc);
      probe(`checkpoint-${i}`);
    }
  }
  probe("end");
  return Response.json({ acc, history });
});

export const scenario: Scenario = { requests: [{ url: "/many" }] };
