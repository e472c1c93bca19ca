import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const counters = { hits: 1, misses: 0 };
  const list = [10, 20];
  let i = 0;
  probe("start");
  counters.hits += await step.run("hits", () => {
    probe("step:hits");
    return 4;
  });
  list[i++] *= await step.run("scale-first", () => {
    probe("step:scale-first");
    return 3;
  });
  counters.misses ||= await step.run("misses", () => {
    probe("step:misses");
    return 7;
  });
  const slots: Record<string, number | undefined> = { a: 1 };
  slots[String(i)] ??= await step.run("slot", () => {
    probe("step:slot");
    return 8;
  });
  slots.a ??= await step.run("never-runs", () => {
    probe("step:never-runs");
    return 9;
  });
  probe("end");
  return Response.json({ counters, list, i, slots });
});

export const scenario: Scenario = { requests: [{ url: "/compound" }] };
