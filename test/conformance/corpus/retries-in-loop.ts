import { Inngest, RetryAfterError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter, retries: 1 });

export const handler = inngest.endpoint(async (req: Request) => {
  const results: string[] = [];
  probe("start");
  for (const id of ["a", "b", "c"]) {
    try {
      results.push(await step.run(`sync-${id}`, () => {
        probe(`step:sync-${id}`);
        if (id === "b" && failsFirst("sync-b", 1)) throw new RetryAfterError("b is flaky", 1);
        if (id === "c") throw new RetryAfterError("c is broken", 1);
        return `synced ${id}`;
      }));
      probe(`ok-${id}`);
    } catch (error) {
      probe(`failed-${id}`);
      results.push(`failed ${id}: ${(error as StepError).message}`);
    }
  }
  probe("end");
  return Response.json({ results });
});

export const scenario: Scenario = { requests: [{ url: "/sync" }] };
