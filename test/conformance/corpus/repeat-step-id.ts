import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const values: number[] = [];
  probe("start");
  for (let i = 0; i < 4; i++) {
    values.push(await step.run("tick", () => {
      probe("step:tick");
      return values.length * 10;
    }));
    probe(`ticked-${i}`);
  }
  const again = await step.run("tick", () => {
    probe("step:tick");
    return -1;
  });
  probe("end");
  return Response.json({ values, again });
});

export const scenario: Scenario = { requests: [{ url: "/repeat" }] };
