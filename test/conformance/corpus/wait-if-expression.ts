import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  probe("start");
  const payment = await step.waitForEvent("payment", {
    event: "payment/settled",
    if: "event.data.order == async.data.order && async.data.ok == true",
    timeout: "10s",
  });
  probe("settled");
  const receipt = await step.run("receipt", () => {
    probe("step:receipt");
    return payment ? `receipt for ${payment.data.order}: ${payment.data.amount}` : "none";
  });
  probe("end");
  return Response.json({ receipt });
});

export const scenario: Scenario = {
  requests: [{ url: "/pay?order=o7" }],
  events: {
    payment: [
      { name: "payment/settled", data: { order: "o7", ok: false, amount: 1 } },
      { name: "payment/settled", data: { order: "o8", ok: true, amount: 2 } },
      { name: "payment/settled", data: { order: "o7", ok: true, amount: 3 } },
    ],
  },
};
