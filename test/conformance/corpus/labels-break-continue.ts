import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const pairs: string[] = [];
  probe("start");
  outer: for (let i = 0; i < 4; i++) {
    inner: for (let j = 0; j < 4; j++) {
      if (j > i) continue outer;
      if (i === 3) break outer;
      const pair = await step.run(`pair-${i}-${j}`, () => {
        probe(`step:pair-${i}-${j}`);
        return `${i}${j}`;
      });
      if (pair === "11") continue inner;
      pairs.push(pair);
      probe(`pushed-${pair}`);
      if (pair === "21") break inner;
    }
    probe(`row-${i}`);
  }
  probe("end");
  return Response.json({ pairs });
});

export const scenario: Scenario = { requests: [{ url: "/labels" }] };
