import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const trail: string[] = [];
  probe("start");
  try {
    trail.push("outer-try");
    try {
      trail.push(await step.run("inner", () => {
        probe("step:inner");
        throw new NonRetriableError("inner boom");
      }));
    } catch (error) {
      probe("inner-catch");
      trail.push(`inner-catch:${(error as Error).message}`);
      await step.run("compensate", () => {
        probe("step:compensate");
        return "compensated";
      });
      throw new Error("escalated");
    } finally {
      probe("inner-finally");
      trail.push(await step.run("inner-finally", () => {
        probe("step:inner-finally");
        return "inner-finally";
      }));
    }
  } catch (error) {
    probe("outer-catch");
    trail.push(`outer-catch:${(error as Error).message}`);
  } finally {
    probe("outer-finally");
    trail.push("outer-finally");
  }
  probe("end");
  return Response.json({ trail });
});

export const scenario: Scenario = { requests: [{ url: "/nested-try" }] };
