// Found by the fuzzer (seed 5248) and shrunk. The failure was in the conformance checker, not in
// the compiler or runtime: a Promise.all member whose failed attempt was cut short by the crash retried
// one round behind its flaky sibling, so after the resume their step bodies interleaved differently.
// Kept as a regression case of the checker.
import { Inngest, RetryAfterError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  let v0 = Number(new URL(req.url).searchParams.get("x"));
  let v1 = 1, v2 = 2, v3 = 3;
  v0 += (await Promise.all([step.run("s2", () => { probe("step:s2"); return (v2 * 5 + 3) % 97; }), step.run("s3", () => { probe("step:s3"); if (failsFirst("s3", 2)) throw new RetryAfterError("flaky s3", 1); return (v2 * 2 + 3) % 97; }), step.run("s4", () => { probe("step:s4"); if (failsFirst("s4", 2)) throw new RetryAfterError("flaky s4", 1); return (v3 * 1 + 1) % 97; })])).reduce((x, y) => x + y, 0);
  probe("end");
  return Response.json({ v0: v0, v1: v1, v2: v2, v3: v3 });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=1" }] };
