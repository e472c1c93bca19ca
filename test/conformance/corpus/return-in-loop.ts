import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const target = Number(new URL(req.url).searchParams.get("target"));
  probe("start");
  for (let i = 0; i < 10; i++) {
    const value = await step.run(`probe-${i}`, () => {
      probe(`step:probe-${i}`);
      return i * 7;
    });
    if (value >= target) {
      probe("found");
      return Response.json({ i, value });
    }
    probe(`miss-${i}`);
  }
  probe("not-found");
  return Response.json({ found: false }, { status: 404 });
});

export const scenario: Scenario = { requests: [{ url: "/return-loop?target=20" }, { url: "/return-loop?target=1000" }] };
