import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let remaining = 10;
  let rounds = 0;
  probe("start");
  while (remaining > 0) {
    const taken = await step.run(`take-${rounds}`, () => {
      probe(`step:take-${rounds}`);
      return Math.min(remaining, 4);
    });
    remaining -= taken;
    rounds++;
    probe(`round-${rounds}`);
  }
  probe("end");
  return Response.json({ remaining, rounds });
});

export const scenario: Scenario = { requests: [{ url: "/while" }] };
