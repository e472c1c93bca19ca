import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const before = await step.run("before-sleep", () => {
    probe("step:before-sleep");
    return "before";
  });
  probe("sleeping");
  await step.sleep("nap", "20ms");
  probe("woke");
  await step.sleep("short-nap", 5);
  probe("woke-again");
  const after = await step.run("after-sleep", () => {
    probe("step:after-sleep");
    return "after";
  });
  probe("end");
  return Response.json({ before, after });
});

export const scenario: Scenario = { requests: [{ url: "/sleep" }] };
