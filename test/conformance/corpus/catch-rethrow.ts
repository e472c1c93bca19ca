import { Inngest, NonRetriableError, StepError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

class PaymentFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PaymentFailed";
  }
}

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  try {
    try {
      await step.run("pay", () => {
        probe("step:pay");
        throw new NonRetriableError("insufficient funds");
      });
    } catch (error) {
      probe("rethrow");
      throw new PaymentFailed(`payment: ${(error as StepError).message}`);
    }
  } catch (error) {
    probe("handle");
    // read before the step: a checkpoint refuses a local holding a PaymentFailed (it would come back as an Error)
    const { name, message } = error as Error;
    const note = await step.run("notify", () => {
      probe("step:notify");
      return "notified";
    });
    return Response.json({ name, message, note }, { status: 402 });
  }
  return new Response("unreachable");
});

export const scenario: Scenario = { requests: [{ url: "/rethrow" }] };
