import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const getters: Array<() => number> = [];
  for (let i = 0; i < 3; i++) {
    const doubled = await step.run(`double-${i}`, () => {
      probe(`step:double-${i}`);
      return i * 2;
    });
    probe(`iteration-${i}`);
    getters.push(() => i + doubled);
  }
  probe("loop-done");
  const values = getters.map((get) => get());
  await step.run("after-loop", () => {
    probe("step:after-loop");
    return values.length;
  });
  probe("end");
  return Response.json({ values, again: getters.map((get) => get()) });
});

export const scenario: Scenario = { requests: [{ url: "/closures" }] };
