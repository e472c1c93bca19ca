import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  await delay(2);
  const local = await Promise.resolve(5);
  probe("after-plain-awaits");
  const stepped = await step.run("s", () => {
    probe("step:s");
    return local * 2;
  });
  await delay(1);
  probe("between");
  const combined = (await Promise.resolve(stepped)) + (await step.run("t", () => {
    probe("step:t");
    return 1;
  }));
  probe("end");
  return Response.json({ local, stepped, combined });
});

export const scenario: Scenario = { requests: [{ url: "/plain-awaits" }] };
