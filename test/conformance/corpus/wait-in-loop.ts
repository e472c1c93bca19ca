import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const votes: string[] = [];
  probe("start");
  for (let round = 0; round < 2; round++) {
    const vote = await step.waitForEvent("vote", { event: "vote/cast", timeout: "5s" });
    votes.push(vote ? String(vote.data.choice) : "none");
    probe(`round-${round}`);
    await step.run(`tally-${round}`, () => {
      probe(`step:tally-${round}`);
      return votes.length;
    });
  }
  probe("end");
  return Response.json({ votes });
});

export const scenario: Scenario = {
  requests: [{ url: "/votes" }],
  events: { vote: [{ name: "vote/cast", data: { choice: "yes" } }] },
};
