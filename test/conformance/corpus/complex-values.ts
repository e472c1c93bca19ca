import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const when = await step.run("date", () => {
    probe("step:date");
    return new Date(Date.UTC(2024, 1, 29, 12));
  });
  const index = new Map<string, Set<number>>([["evens", new Set([2, 4])]]);
  const big = 2n ** 70n;
  const shared = { n: 1 };
  const pair = [shared, shared];
  probe("built");
  const more = await step.run("more", () => {
    probe("step:more");
    return { when, tags: new Set(["x", "y"]), undef: undefined as undefined | number };
  });
  index.get("evens")!.add(6);
  pair[0]!.n++;
  probe("mutated");
  await step.sleep("persist", "1ms");
  probe("end");
  return Response.json({
    iso: when.toISOString(),
    sameInstantAfterStep: more.when.getTime() === when.getTime(),
    isDate: more.when instanceof Date,
    evens: [...index.get("evens")!],
    big: (big + 1n).toString(),
    sharedStillShared: pair[0] === pair[1] && pair[1]!.n === 2,
    tags: [...more.tags],
    hasUndef: "undef" in more,
  });
});

export const scenario: Scenario = { requests: [{ url: "/values" }] };
