import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

async function handle(req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams.get("q") ?? "";
  probe("start");
  const found = await step.run("search", () => {
    probe("step:search");
    return q.split("").reverse().join("");
  });
  probe("end");
  return Response.json({ found });
}

export const handler = inngest.endpoint(handle);

export const scenario: Scenario = { requests: [{ url: "/named?q=durable" }] };
