import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const done: number[] = [];
  probe("start");
  for (let i = 0; i < 5; i++) {
    try {
      done.push(await step.run(`job-${i}`, () => {
        probe(`step:job-${i}`);
        return i;
      }));
      if (i === 1) continue;
      probe(`after-job-${i}`);
    } finally {
      probe(`finally-${i}`);
      if (i === 2) {
        await step.run("stop", () => {
          probe("step:stop");
          return true;
        });
        // eslint-disable-next-line no-unsafe-finally
        break;
      }
    }
  }
  probe("end");
  return Response.json({ done });
});

export const scenario: Scenario = { requests: [{ url: "/finally-break" }] };
