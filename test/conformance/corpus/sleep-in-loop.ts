import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let polled = 0;
  probe("start");
  while (polled < 3) {
    const status = await step.run(`poll-${polled}`, () => {
      probe(`step:poll-${polled}`);
      return polled === 2 ? "ready" : "pending";
    });
    polled++;
    probe(`status-${status}`);
    if (status === "ready") break;
    await step.sleep(`backoff-${polled}`, "1ms");
  }
  probe("end");
  return Response.json({ polled });
});

export const scenario: Scenario = { requests: [{ url: "/sleep-loop" }] };
