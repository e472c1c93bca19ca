// The chaos endpoint: one durable handler with every kind of step — step.run (also in a loop with
// dynamic ids), sleep, a step that fails twice before succeeding (retries), and three waitForEvents for
// the same event whose events the driver sends through another instance: two siblings of one Promise.all
// (both may get one event), then a third begun after them, which must never get what they got (the
// driver re-sends ids and sends some with a ts ahead, so only the run's memory of them keeps them out). Workers load this file as written (a plain
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
  const wait = (name) => step.waitForEvent(name, { event: "chaos/approved", match: "data.id", timeout: "10m" });
  const [approval, twin] = await Promise.all([wait("approval"), wait("twin")]);
  const again = await wait("again");
  const total = await step.run("total", () => effect(id, "total", () => parts.reduce((sum, p) => sum + p, 0) + retried));
  // again's event is none of those the run had received when it began
  const againNew = again !== null && again.id !== approval?.id && again.id !== twin?.id;
  const body = { id, seed, parts, retried, approvedBy: approval ? approval.data.by : null, againNew, total };
  return Response.json(body, { status: 201, headers: { "x-chaos-run": id } });
});
