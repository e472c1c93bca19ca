import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const n = Number(new URL(req.url).searchParams.get("n"));
  let sum = 0;
  probe("start");
  for (let i = 0; i < n; i++) {
    probe(`head-${i}`);
    sum += await step.run(`square-${i}`, () => {
      probe(`step:square-${i}`);
      return i * i;
    });
    probe(`tail-${i}`);
  }
  probe("end");
  return Response.json({ sum });
});

export const scenario: Scenario = { requests: [{ url: "/for?n=4" }, { url: "/for?n=0" }] };
