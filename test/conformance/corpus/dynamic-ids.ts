import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const prefix = new URL(req.url).searchParams.get("prefix") ?? "item";
  const out: string[] = [];
  probe("start");
  for (let i = 0; i < 3; i++) {
    const id = `${prefix}-${i}`;
    out.push(await step.run(id, () => {
      probe(`step:${id}`);
      return id.toUpperCase();
    }));
    probe(`done-${id}`);
  }
  const tail = await step.run(`${prefix}-${out.length}-tail`, () => {
    probe(`step:${prefix}-3-tail`);
    return "tail";
  });
  probe("end");
  return Response.json({ out, tail });
});

export const scenario: Scenario = { requests: [{ url: "/dynamic?prefix=job" }] };
