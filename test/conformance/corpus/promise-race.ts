import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const winner = await Promise.race([
    step.run("fast", () => {
      probe("step:fast");
      return "fast";
    }),
    step.run("slow", async () => {
      probe("step:slow");
      await new Promise((resolve) => setTimeout(resolve, 30));
      return "slow";
    }),
  ]);
  probe("raced");
  const confirmed = await step.run("confirm", () => {
    probe("step:confirm");
    return `winner=${winner}`;
  });
  probe("end");
  return Response.json({ winner, confirmed });
});

export const scenario: Scenario = { requests: [{ url: "/race" }] };
