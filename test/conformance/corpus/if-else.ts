import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const mode = new URL(req.url).searchParams.get("mode");
  probe("start");
  let result: string;
  if (mode === "a") {
    result = await step.run("branch-a", () => {
      probe("step:branch-a");
      return "A";
    });
    probe("in-a");
  } else if (mode === "b") {
    probe("in-b");
    result = await step.run("branch-b", () => {
      probe("step:branch-b");
      return "B";
    });
  } else {
    result = "none";
    probe("in-else");
  }
  if (result !== "none") {
    result += await step.run("suffix", () => {
      probe("step:suffix");
      return "!";
    });
  }
  probe("end");
  return Response.json({ result });
});

export const scenario: Scenario = { requests: [{ url: "/if?mode=a" }, { url: "/if?mode=b" }, { url: "/if?mode=c" }] };
