import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const base = Number(new URL(req.url).searchParams.get("base"));
  let counter = base;
  var legacy = "v";
  probe("init");
  counter += await step.run("first", () => {
    probe("step:first");
    return 5;
  });
  legacy += counter;
  probe("middle");
  var late = await step.run("second", () => {
    probe("step:second");
    return counter * 2;
  });
  counter++;
  probe("end");
  return Response.json({ base, counter, legacy, late });
});

export const scenario: Scenario = { requests: [{ url: "/vars?base=7" }] };
