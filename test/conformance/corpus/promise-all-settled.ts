import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const settled = await Promise.allSettled([
    step.run("ok", () => {
      probe("step:ok");
      return "fine";
    }),
    step.run("bad", () => {
      probe("step:bad");
      throw new NonRetriableError("bad input");
    }),
  ]);
  probe("settled");
  const summary = settled.map((r) =>
    r.status === "fulfilled" ? r.value : `${(r.reason as StepError).name}: ${(r.reason as StepError).message}`,
  );
  const after = await step.run("after", () => {
    probe("step:after");
    return summary.length;
  });
  probe("end");
  return Response.json({ summary, after });
});

export const scenario: Scenario = { requests: [{ url: "/settled" }] };
