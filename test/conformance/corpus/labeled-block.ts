import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const skip = new URL(req.url).searchParams.get("skip") === "1";
  let note = "start";
  probe("start");
  check: {
    note = await step.run("first", () => {
      probe("step:first");
      return "first";
    });
    if (skip) break check;
    probe("not-skipped");
    note += await step.run("second", () => {
      probe("step:second");
      return "+second";
    });
  }
  probe("end");
  return Response.json({ note });
});

export const scenario: Scenario = { requests: [{ url: "/block?skip=1" }, { url: "/block?skip=0" }] };
