import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

function describe(a: number, b: string, c: number[]): string {
  return `${a}|${b}|${c.join(",")}`;
}

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const text = describe(
    await step.run("arg-a", () => {
      probe("step:arg-a");
      return 1;
    }),
    String(await step.run("arg-b", () => {
      probe("step:arg-b");
      return "two";
    })),
    [3, await step.run("arg-c", () => {
      probe("step:arg-c");
      return 4;
    })],
  );
  probe("described");
  const max = Math.max(...(await step.run("spread", () => {
    probe("step:spread");
    return [5, 9, 2];
  })));
  probe("end");
  return Response.json({ text, max });
});

export const scenario: Scenario = { requests: [{ url: "/args" }] };
