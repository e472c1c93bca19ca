import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const results: number[] = [];
  probe("start");
  if (results.length === 0) {
    const scoped = await step.run("in-if", () => {
      probe("step:in-if");
      return 1;
    });
    let more = scoped + 1;
    probe("if-body");
    more += await step.run("in-if-2", () => {
      probe("step:in-if-2");
      return 10;
    });
    results.push(scoped, more);
  }
  {
    const scoped = await step.run("in-block", () => {
      probe("step:in-block");
      return 100;
    });
    probe("block-body");
    results.push(scoped);
  }
  probe("end");
  return Response.json({ results });
});

export const scenario: Scenario = { requests: [{ url: "/blocks" }] };
