import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const { name, tags: [first, ...rest], nested: { deep = "default" } = {} } = await step.run("user", () => {
    probe("step:user");
    return { name: "ada", tags: ["a", "b", "c"], nested: {} as { deep?: string } };
  });
  probe("destructured");
  let [x, , z = 9] = await step.run("triple", () => {
    probe("step:triple");
    return [1, 2] as number[];
  });
  [x, z] = [z, x];
  probe("swapped");
  const { total, ...others } = await step.run("totals", () => {
    probe("step:totals");
    return { total: x + z, a: first, b: rest.length };
  });
  probe("end");
  return Response.json({ name, first, rest, deep, x, z, total, others });
});

export const scenario: Scenario = { requests: [{ url: "/destructure" }] };
