import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "next-app", endpointAdapter });

export const dynamic = "force-dynamic";

// GET /api/checkout?orderId=…&sleep=200ms&workMs=0 — the same flow as examples/shared, in the seed's style.
export const GET = inngest.endpoint(async (req: Request): Promise<Response> => {
  const url = new URL(req.url);
  const orderId = url.searchParams.get("orderId") ?? "demo";

  const reservation = await step.run("reserve", async () => {
    console.log(`[example] reserve ${orderId}`);
    return { orderId, reservedAt: new Date() };
  });

  const charge = await step.run("charge", async () => {
    console.log(`[example] charge ${orderId}`);
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get("workMs") ?? 0)));
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
