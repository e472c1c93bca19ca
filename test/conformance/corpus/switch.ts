import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const kind = new URL(req.url).searchParams.get("kind");
  const seen: string[] = [];
  probe("start");
  switch (kind) {
    case "one":
      seen.push(await step.run("case-one", () => {
        probe("step:case-one");
        return "one";
      }));
      probe("after-one");
    // falls through
    case "two":
      seen.push(await step.run("case-two", () => {
        probe("step:case-two");
        return "two";
      }));
      probe("after-two");
      break;
    case "three": {
      const three = await step.run("case-three", () => {
        probe("step:case-three");
        return "three";
      });
      seen.push(three);
      probe("after-three");
      break;
    }
    default:
      probe("default");
      seen.push(await step.run("case-default", () => {
        probe("step:case-default");
        return "default";
      }));
  }
  probe("end");
  return Response.json({ seen });
});

export const scenario: Scenario = {
  requests: [{ url: "/switch?kind=one" }, { url: "/switch?kind=two" }, { url: "/switch?kind=three" }, { url: "/switch?kind=x" }],
};
