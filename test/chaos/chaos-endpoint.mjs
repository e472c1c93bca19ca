// The chaos endpoint: one durable handler with every kind of step — step.run (also in a loop with
// dynamic ids), sleep, a step that fails twice before succeeding (retries), and waitForEvent whose
// event the driver sends through another instance. Workers load this file as written (a plain
// handler: replay mode) and compiled by @durable-endpoints/transform. Step bodies record each
// execution in the ledger (ledger.mjs) through `globalThis.chaos`, set up by worker.mjs.
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { checksum } from "./expected.mjs";

const { store, effect, flaky, logger } = globalThis.chaos;

export const inngest = new Inngest({ id: "chaos", endpointAdapter, store, logger, pollMs: 500, backoff: { initial: "50ms", max: "400ms" } });

export const handler = inngest.endpoint(async (req) => {
  const id = new URL(req.url).searchParams.get("id");
  const seed = await step.run("seed", () => effect(id, "seed", () => checksum(id)));
  await step.sleep("nap", "150ms");
  const parts = [];
  for (let i = 0; i < 3; i++) {
    parts.push(await step.run(`part-${i}`, () => effect(id, `part-${i}`, () => seed + i)));
  }
  const retried = await step.run("flaky", () => flaky(id, "flaky", 2, () => parts.length));
  const approval = await step.waitForEvent("approval", { event: "chaos/approved", match: "data.id", timeout: "10m" });
  const total = await step.run("total", () => effect(id, "total", () => parts.reduce((sum, p) => sum + p, 0) + retried));
  const body = { id, seed, parts, retried, approvedBy: approval ? approval.data.by : null, total };
  return Response.json(body, { status: 201, headers: { "x-chaos-run": id } });
});
