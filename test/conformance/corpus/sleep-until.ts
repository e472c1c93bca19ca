import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const due = await step.run("due", () => {
    probe("step:due");
    return Date.now() + 15;
  });
  probe("until");
  await step.sleepUntil("wait-until-due", new Date(due));
  probe("woke");
  await step.sleepUntil("in-the-past", new Date(due - 60_000));
  probe("end");
  return Response.json({ slept: true });
});

export const scenario: Scenario = { requests: [{ url: "/sleep-until" }] };
