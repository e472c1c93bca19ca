// Found by the fuzzer (seed 1095) and shrunk. The failure was in the conformance checker, not in
// the compiler or runtime: two 1 ms sleeps: whether a sleep writes a checkpoint depends on timing,
// so a crash point of the baseline run may never be reached.
// Kept as a regression case of the checker.
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  let v0 = Number(new URL(req.url).searchParams.get("x"));
  let v1 = 1, v2 = 2, v3 = 3;
  await step.sleep("z1", "1ms");
  await step.sleep("z2", "1ms");
  probe("p3");
  probe("end");
  return Response.json({ v0: v0, v1: v1, v2: v2, v3: v3 });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=7" }] };
