import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const commands = ["add", "skip", "add", "double", "stop", "add"];
  let value = 0;
  probe("start");
  loop: for (const command of commands) {
    switch (command) {
      case "add":
        value += await step.run("add", () => {
          probe("step:add");
          return 5;
        });
        break;
      case "skip":
        probe("skip");
        continue loop;
      case "double":
        value = await step.run("double", () => {
          probe("step:double");
          return value * 2;
        });
        break;
      case "stop":
        probe("stop");
        break loop;
    }
    probe(`after-${command}`);
  }
  probe("end");
  return Response.json({ value });
});

export const scenario: Scenario = { requests: [{ url: "/commands" }] };
