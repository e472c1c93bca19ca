import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const vip = new URL(req.url).searchParams.get("vip") === "1";
  probe("start");
  const discount = vip
    ? await step.run("vip-discount", () => {
        probe("step:vip-discount");
        return 20;
      })
    : await step.run("normal-discount", () => {
        probe("step:normal-discount");
        return 5;
      });
  probe("discounted");
  const label = (await step.run("check", () => {
    probe("step:check");
    return discount > 10;
  }))
    ? "big"
    : "small";
  probe("end");
  return Response.json({ discount, label });
});

export const scenario: Scenario = { requests: [{ url: "/ternary?vip=1" }, { url: "/ternary?vip=0" }] };
