import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const fail = new URL(req.url).searchParams.get("fail") === "1";
  const log: string[] = [];
  probe("start");
  try {
    try {
      log.push(await step.run("work", () => {
        probe("step:work");
        if (fail) throw new NonRetriableError("work failed");
        return "worked";
      }));
      probe("worked");
    } finally {
      probe("finally");
      log.push(await step.run("cleanup", () => {
        probe("step:cleanup");
        return "cleaned";
      }));
      probe("finally-end");
    }
  } catch (error) {
    probe("outer-catch");
    log.push(`caught ${(error as Error).message}`);
  }
  probe("end");
  return Response.json({ log });
});

export const scenario: Scenario = { requests: [{ url: "/finally?fail=0" }, { url: "/finally?fail=1" }] };
