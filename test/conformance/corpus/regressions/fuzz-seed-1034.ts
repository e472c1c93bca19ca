// Found by the fuzzer (seed 1034) and shrunk. The failure was in the conformance checker, not in
// the compiler or runtime: a Promise.all member's failure committed before a sibling started earlier finished,
// so the resumed run re-ran the sibling but not the failed member.
// Kept as a regression case of the checker.
import { Inngest, NonRetriableError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  let v0 = Number(new URL(req.url).searchParams.get("x"));
  let v1 = 1, v2 = 2, v3 = 3;
  v2 += (await Promise.all([step.run("s4", () => { probe("step:s4"); return (v3 * 3 + 7) % 97; }), step.run("s5", () => { probe("step:s5"); throw new NonRetriableError("s5 failed"); }), step.run("s6", () => { probe("step:s6"); return (v2 * 4 + 8) % 97; })])).reduce((x, y) => x + y, 0);
  probe("end");
  return Response.json({ v0: v0, v1: v1, v2: v2, v3: v3 });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=4" }] };
