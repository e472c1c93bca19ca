// The seed's imports: the bundler plugin's `alias: true` points them at @durable-endpoints/runtime.
import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

// No I/O here: the store opens on first use (bundlers may import this module at build time).
// The client lives with its endpoints so that this module has no relative import: Turbopack does not
// resolve a TypeScript `./x.js` import to `x.ts` (vercel/next.js#82945), and examples/next-app imports this file.
export const inngest = new Inngest({ id: "examples", endpointAdapter });

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
