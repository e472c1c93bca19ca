// The seed page's "Error Handling" example, verbatim (helper added): the
// risky call always fails, so after the default 3 retries the catch answers.
import { Inngest, RetryAfterError, step } from "inngest";
import { endpointAdapter } from "inngest/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

async function riskyAPICall(): Promise<string> {
  probe("step:risky-operation");
  throw new RetryAfterError("upstream timeout", 1);
}

const inngest = new Inngest({ id: "my-app", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  try {
    const result = await step.run("risky-operation", async () => {
      return await riskyAPICall();
    });

    return Response.json({ result });
  } catch (error) {
    // All retries exhausted, handle gracefully
    return Response.json(
      { error: "Operation failed after retries" },
      { status: 500 }
    );
  }
});

export const scenario: Scenario = { requests: [{ url: "/api/risky" }] };
