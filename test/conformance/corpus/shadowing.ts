import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let x = "outer";
  probe("outer");
  {
    let x = await step.run("inner-x", () => {
      probe("step:inner-x");
      return "inner";
    });
    probe("inner-" + x);
    {
      const x = 3;
      await step.run("innermost", () => {
        probe("step:innermost");
        return x;
      });
      probe("innermost-" + x);
    }
    x += "!";
    probe("inner-again-" + x);
  }
  const y = await step.run("outer-y", () => {
    probe("step:outer-y");
    return x;
  });
  probe("end-" + x);
  return Response.json({ x, y });
});

export const scenario: Scenario = { requests: [{ url: "/shadow" }] };
