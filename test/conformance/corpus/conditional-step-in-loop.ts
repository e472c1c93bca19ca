import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const flags = [true, false, true, false];
  const seen: unknown[] = [];
  probe("start");
  for (let i = 0; i < flags.length; i++) {
    const value = flags[i] && (await step.run(`maybe-${i}`, () => {
      probe(`step:maybe-${i}`);
      return i;
    }));
    seen.push(value);
    probe(`seen-${i}`);
  }
  probe("end");
  return Response.json({ seen });
});

export const scenario: Scenario = { requests: [{ url: "/conditional" }] };
