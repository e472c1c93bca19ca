import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const create = inngest.endpoint(async (req: Request) => {
  probe("create-start");
  const id = await step.run("create", () => {
    probe("step:create");
    return "new-id";
  });
  probe("create-end");
  return Response.json({ id }, { status: 201 });
});

export const remove = inngest.endpoint(async function (req: Request) {
  probe("remove-start");
  await step.run("remove", () => {
    probe("step:remove");
    return true;
  });
  probe("remove-end");
  return new Response(null, { status: 204 });
});

const second = new Inngest({ id: "conformance-second", endpointAdapter });

export const handler = second.endpoint(async (req: Request) => {
  const a = await step.run("one", () => {
    probe("step:one");
    return 1;
  });
  probe("second-client");
  return Response.json({ a });
});

export const scenario: Scenario = {
  requests: [{ endpoint: "create", url: "/items" }, { endpoint: "remove", url: "/items/1" }, { url: "/other" }],
};
