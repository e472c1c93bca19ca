// Shrunk from fuzz seed 20353. It failed with (runtime bug, same as corpus/promise-all-fatal-and-flaky.ts: a Promise.all member
// fails for good while another waits for its retry; the run retries after the handler settled):
// .out/fuzz/seed-20353-19829-4.ts#0 GET /fuzz?x=4 [compiled]: probe sequence differs
//   first difference at probe #9: expected undefined, got "step:s9"
//   expected: p2 · step:s3 · p2 · step:s3 · p2 · step:s3 · step:s9 · step:s10 · step:s11
//   actual:   p2 · step:s3 · p2 · step:s3 · p2 · step:s3 · step:s9 · step:s10 · step:s11 · step:s9 · step:s11 · step:s9
//   ("step:s9" is probed at .out/fuzz/seed-20353-19829-4.ts:31)
import { Inngest, NonRetriableError, RetryAfterError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { failsFirst, probe } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });

export const handler = inngest.endpoint(async (req: Request) => {
  let v0 = Number(new URL(req.url).searchParams.get("x"));
  let v1 = 1, v2 = 2, v3 = 3;
  v0 += (await Promise.all([step.run("s9", () => { probe("step:s9"); if (failsFirst("s9", 2)) throw new RetryAfterError("flaky s9", 1); return (v2 * 1 + 4) % 97; }), step.run("s10", () => { probe("step:s10"); throw new NonRetriableError("s10 failed"); }), step.run("s11", () => { probe("step:s11"); if (failsFirst("s11", 1)) throw new RetryAfterError("flaky s11", 1); return (v2 * 1 + 1) % 97; })])).reduce((x, y) => x + y, 0);
  probe("end");
  return Response.json({ v0: v0, v1: v1, v2: v2, v3: v3 });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=4" }] };
