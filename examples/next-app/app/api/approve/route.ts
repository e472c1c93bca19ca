// GET /api/approve?orderId=…&by=… — sends the event /api/checkout waits for (examples/shared, same client).
export { approve as GET } from "example-shared/endpoints.ts";

export const dynamic = "force-dynamic";
