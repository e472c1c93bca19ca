import { Inngest } from "inngest";
import { endpointAdapter } from "inngest/edge";

// One client per route module, as in the seed; they share the store.
const inngest = new Inngest({ id: "next-app", endpointAdapter });

export const dynamic = "force-dynamic";

// GET /api/approve?orderId=…&by=… — sends the event /api/checkout waits for.
export async function GET(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const orderId = url.searchParams.get("orderId") ?? "demo";
  await inngest.send({ name: "order/approved", data: { orderId, by: url.searchParams.get("by") ?? "someone" } });
  return Response.json({ sent: true });
}
