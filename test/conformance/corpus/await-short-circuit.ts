import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const flag = new URL(req.url).searchParams.get("flag") === "1";
  probe("start");
  const and = flag && (await step.run("and-rhs", () => {
    probe("step:and-rhs");
    return "and";
  }));
  probe("after-and");
  const or = flag || (await step.run("or-rhs", () => {
    probe("step:or-rhs");
    return "or";
  }));
  probe("after-or");
  const maybe = flag ? null : "present";
  const nullish = maybe ?? (await step.run("nullish-rhs", () => {
    probe("step:nullish-rhs");
    return "fallback";
  }));
  probe("after-nullish");
  let assigned: string | null = null;
  assigned ??= await step.run("assign-rhs", () => {
    probe("step:assign-rhs");
    return "assigned";
  });
  assigned &&= flag ? await step.run("and-assign", () => {
    probe("step:and-assign");
    return "and-assigned";
  }) : assigned;
  probe("end");
  return Response.json({ and, or, nullish, assigned });
});

export const scenario: Scenario = { requests: [{ url: "/logic?flag=1" }, { url: "/logic?flag=0" }] };
