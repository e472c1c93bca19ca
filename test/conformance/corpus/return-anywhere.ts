import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const where = new URL(req.url).searchParams.get("where");
  probe("start");
  if (where === "early") return new Response("early", { status: 200 });
  const a = await step.run("a", () => {
    probe("step:a");
    return "a";
  });
  switch (where) {
    case "switch":
      probe("in-switch");
      return new Response(`switch ${a}`);
  }
  while (true) {
    const b = await step.run("b", () => {
      probe("step:b");
      return "b";
    });
    if (where === "loop") return new Response(`loop ${a}${b}`);
    break;
  }
  try {
    if (where === "try") {
      return new Response(await step.run("in-try", () => {
        probe("step:in-try");
        return "try";
      }));
    }
  } catch {
    probe("never");
  }
  probe("end");
  return new Response("end");
});

export const scenario: Scenario = {
  requests: ["early", "switch", "loop", "try", "end"].map((where) => ({ url: `/return?where=${where}` })),
};
