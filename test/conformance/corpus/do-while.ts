import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let attempts = 0;
  let value = 1;
  probe("start");
  do {
    value = await step.run("grow", () => {
      probe("step:grow");
      return value * 3;
    });
    attempts++;
    probe(`after-${attempts}`);
  } while (value < 50);
  probe("end");
  return Response.json({ attempts, value });
});

export const scenario: Scenario = { requests: [{ url: "/do-while" }] };
