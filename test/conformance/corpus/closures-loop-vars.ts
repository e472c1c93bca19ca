import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const values: number[] = [];
  for (let i = 0; i < 3; i++) {
    // a const arrow over the loop variable, live across the step: re-created on resume, not saved
    const scaled = () => i * 10;
    const doubled = await step.run(`double-${i}`, () => {
      probe(`step:double-${i}`);
      return i * 2;
    });
    probe(`iteration-${i}`);
    values.push(scaled() + doubled);
  }
  probe("loop-done");
  // closures over a callback parameter, used before the next step (not live across it)
  const getters = values.map((v, i) => () => v - i);
  const sum = getters.reduce((total, get) => total + get(), 0);
  const total = await step.run("after-loop", () => {
    probe("step:after-loop");
    return sum;
  });
  probe("end");
  return Response.json({ values, total });
});

export const scenario: Scenario = { requests: [{ url: "/closures" }] };
