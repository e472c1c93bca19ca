// Found by the fuzzer (seed 1047) and shrunk. The failure was in the conformance checker, not in
// the compiler or runtime: a flaky step in flight at the crash: the service saw the cut-short attempt,
// the retry budget did not.
// Kept as a regression case of the checker.
import { Inngest, RetryAfterError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  let v0 = Number(new URL(req.url).searchParams.get("x"));
  let v1 = 1, v2 = 2, v3 = 3;
  v3 += (await Promise.all([step.run("s1", () => { probe("step:s1"); return (v1 * 1 + 0) % 97; }), step.run("s2", () => { probe("step:s2"); if (failsFirst("s2", 2)) throw new RetryAfterError("flaky s2", 1); return (v2 * 5 + 8) % 97; }), step.run("s3", () => { probe("step:s3"); return (v0 * 2 + 4) % 97; })])).reduce((x, y) => x + y, 0);
  probe("end");
  return Response.json({ v0: v0, v1: v1, v2: v2, v3: v3 });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=7" }] };
