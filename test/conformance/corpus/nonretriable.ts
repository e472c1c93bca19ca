import { Inngest, NonRetriableError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  await step.run("validate", () => {
    probe("step:validate");
    if (!new URL(req.url).searchParams.get("email")) throw new NonRetriableError("email is required");
    return true;
  });
  probe("valid");
  return Response.json({ ok: true });
});

export const scenario: Scenario = { requests: [{ url: "/signup?email=a%40b.c" }, { url: "/signup" }] };
