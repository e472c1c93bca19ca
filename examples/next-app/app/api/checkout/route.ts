// GET /api/checkout?orderId=…&sleep=200ms&workMs=0 — the example apps' checkout flow, written once in examples/shared.
export { checkout as GET } from "example-shared/endpoints.ts";

export const dynamic = "force-dynamic";
