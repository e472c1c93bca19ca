import { step } from "inngest";
import { inngest } from "./client.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GET /api/checkout?orderId=…&sleep=200ms&workMs=0
 * reserve (step) → charge (step, optionally slow) → cool-down (sleep) → approval (waitForEvent).
 */
export const checkout = inngest.endpoint(async (req: Request): Promise<Response> => {
  const url = new URL(req.url);
  const orderId = url.searchParams.get("orderId") ?? "demo";

  const reservation = await step.run("reserve", async () => {
    console.log(`[example] reserve ${orderId}`);
    return { orderId, reservedAt: new Date() };
  });

  const charge = await step.run("charge", async () => {
    console.log(`[example] charge ${orderId}`);
    await pause(Number(url.searchParams.get("workMs") ?? 0));
    return { amount: 42 };
  });

  await step.sleep("cool-down", url.searchParams.get("sleep") ?? "200ms");

  const approval = await step.waitForEvent("approval", {
    event: "order/approved",
    match: "data.orderId",
    timeout: "5m",
  });

  return Response.json({
    orderId,
    reservedAt: reservation.reservedAt.toISOString(),
    amount: charge.amount,
    approvedBy: approval?.data.by ?? null,
  });
});

/** GET /api/trace — a stack trace taken inside a compiled handler, after a step. */
export const trace = inngest.endpoint(async (): Promise<Response> => {
  const where = await step.run("locate", () => "after-step");
  const stack = new Error(`trace ${where}`).stack; // TRACE-MARKER: tests expect this line in the stack
  return Response.json({ stack });
});

/** GET /api/approve?orderId=…&by=… — a plain handler that sends the event `checkout` waits for. */
export async function approve(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const orderId = url.searchParams.get("orderId") ?? "demo";
  await inngest.send({ name: "order/approved", data: { orderId, by: url.searchParams.get("by") ?? "someone" } });
  return Response.json({ sent: true });
}
