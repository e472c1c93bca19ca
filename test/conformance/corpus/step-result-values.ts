import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const nothing = await step.run("undefined", () => {
    probe("step:undefined");
  });
  const empty = await step.run("null", () => {
    probe("step:null");
    return null;
  });
  const nested = await step.run("nested", () => {
    probe("step:nested");
    return { list: [1, [2, [3]]], text: "ünïcødé ✓", negativeZero: -0, big: Number.MAX_SAFE_INTEGER };
  });
  const mutable = await step.run("fresh-copy", () => {
    probe("step:fresh-copy");
    return nested;
  });
  mutable.list.push(99);
  probe("end");
  return Response.json({
    nothing: nothing === undefined,
    empty,
    nested,
    copyIsIndependent: nested.list.length === 2,
    negativeZero: Object.is(nested.negativeZero, -0),
  });
});

export const scenario: Scenario = { requests: [{ url: "/values-edge" }] };
