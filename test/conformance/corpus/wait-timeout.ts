import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const event = await step.waitForEvent("never-comes", { event: "nobody/sends", timeout: "30ms" });
  probe(event === null ? "timed-out" : "got-event");
  const after = await step.run("after-timeout", () => {
    probe("step:after-timeout");
    return event === null;
  });
  probe("end");
  return Response.json({ event, after });
});

export const scenario: Scenario = { requests: [{ url: "/timeout" }] };
