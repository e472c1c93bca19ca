import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const who = new URL(req.url).searchParams.get("who") ?? "nobody";
  probe("start");
  const greeting = `hello ${await step.run("title", () => {
    probe("step:title");
    return "dr.";
  })} ${who}, you have ${await step.run("count", () => {
    probe("step:count");
    return 3;
  })} messages`;
  probe("end");
  return new Response(greeting, { headers: { "content-type": "text/plain; charset=utf-8" } });
});

export const scenario: Scenario = { requests: [{ url: "/template?who=grace" }] };
