// Found by the fuzzer (seed 5022) and shrunk. The failure was in the conformance checker, not in
// the compiler or runtime: after the crash the re-evaluated Promise.all retried one member and re-ran
// another whose failed attempt was not committed yet, interleaved in call order.
// Kept as a regression case of the checker.
import { Inngest, RetryAfterError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  let v0 = Number(new URL(req.url).searchParams.get("x"));
  let v1 = 1, v2 = 2, v3 = 3;
  v0 += (await Promise.all([step.run("s1", () => { probe("step:s1"); if (failsFirst("s1", 1)) throw new RetryAfterError("flaky s1", 1); return (v1 * 3 + 6) % 97; }), step.run("s2", () => { probe("step:s2"); return (v0 * 2 + 2) % 97; }), step.run("s3", () => { probe("step:s3"); if (failsFirst("s3", 1)) throw new RetryAfterError("flaky s3", 1); return (v2 * 3 + 6) % 97; })])).reduce((x, y) => x + y, 0);
  probe("end");
  return Response.json({ v0: v0, v1: v1, v2: v2, v3: v3 });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=8" }] };
