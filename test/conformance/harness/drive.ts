/**
 * Drives one request to its final Response the way a client would: send it
 * (with an Idempotency-Key), follow the 303 to the poll URL, and keep polling
 * while the runtime answers 202.
 */
import type { RequestSpec } from "../scenario.js";

export type Endpoint = (req: Request) => Promise<Response>;

export const BASE_URL = "http://127.0.0.1";

export interface ResponseSnapshot {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function buildRequest(spec: RequestSpec, idempotencyKey?: string): Request {
  const headers = new Headers(spec.headers);
  if (idempotencyKey) headers.set("idempotency-key", idempotencyKey);
  return new Request(new URL(spec.url ?? "/", BASE_URL), { method: spec.method ?? "GET", headers, body: spec.body });
}

export async function snapshot(res: Response): Promise<ResponseSnapshot> {
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

/** True for the runtime's own 303/202 answers (as opposed to a handler's). */
function isProtocolAnswer(res: Response): boolean {
  return (res.status === 303 || res.status === 202) && (res.headers.get("location") ?? "").includes("__durable=");
}

export async function drive(endpoint: Endpoint, spec: RequestSpec, idempotencyKey: string, deadline: number): Promise<ResponseSnapshot> {
  const first = buildRequest(spec, idempotencyKey);
  let res = await endpoint(first);
  while (isProtocolAnswer(res)) {
    if (Date.now() > deadline) throw new Error(`run did not finish in time (last answer ${res.status})`);
    await res.body?.cancel();
    const location = new URL(res.headers.get("location")!, first.url);
    res = await endpoint(new Request(location));
  }
  return snapshot(res);
}
