// Shrunk from fuzz seed 20349. It failed with (runtime bug, same as corpus/promise-all-fatal-and-flaky.ts: a Promise.all member
// fails for good while another waits for its retry; the run retries after the handler settled):
// .out/fuzz/seed-20349-18468-50.ts#0 GET /fuzz?x=1 [compiled]: probe sequence differs
//   first difference at probe #3: expected undefined, got "step:s1"
//   expected: step:s1 · step:s2 · step:s3
//   actual:   step:s1 · step:s2 · step:s3 · step:s1 · step:s2 · step:s2
//   ("step:s1" is probed at .out/fuzz/seed-20349-18468-50.ts:11)
import { Inngest, NonRetriableError, RetryAfterError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  let v0 = Number(new URL(req.url).searchParams.get("x"));
  let v1 = 1, v2 = 2, v3 = 3;
  v2 += (await Promise.all([step.run("s1", () => { probe("step:s1"); if (failsFirst("s1", 1)) throw new RetryAfterError("flaky s1", 1); return (v1 * 4 + 2) % 97; }), step.run("s2", () => { probe("step:s2"); if (failsFirst("s2", 2)) throw new RetryAfterError("flaky s2", 1); return (v2 * 4 + 0) % 97; }), step.run("s3", () => { probe("step:s3"); throw new NonRetriableError("s3 failed"); })])).reduce((x, y) => x + y, 0);
  probe("end");
  return Response.json({ v0: v0, v1: v1, v2: v2, v3: v3 });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=1" }] };
