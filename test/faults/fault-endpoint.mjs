// The endpoint the fault suite drives, as written (a plain handler: replay mode) and compiled by the
// transform. Every kind of step: runs, a sleep, a Promise.all group, a step that fails once (a
// retry), and a waitForEvent in flight next to a slow sibling step (the event may come at any moment).
// Marks m0…m6 sit between the awaits, so a checker can tell code before a resume point from code after.
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { body, failuresCommitted, faultStore, mark, record } from "./fault-app.mjs";

const quiet = { info() {}, warn() {}, error() {} };
export const inngest = new Inngest({
  id: "faults",
  endpointAdapter,
  store: await faultStore(),
  logger: process.env.FAULT_VERBOSE ? console : quiet,
  pollMs: 500,
  backoff: { initial: "50ms", max: "200ms" },
});

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Re-evaluated with the await that calls it (also in compiled mode). Logs once the wait has begun — after
 * the runtime took its `since` — so the driver's "while in flight" event comes after it began.
 */
async function waitForApproval(id) {
  const approval = step.waitForEvent("approval", { event: "fault/approved", match: "data.id", timeout: Number(process.env.FAULT_WAIT_TIMEOUT_MS ?? 2000) });
  record("wait-began");
  return approval;
}

export const handler = inngest.endpoint(async (req) => {
  const id = new URL(req.url).searchParams.get("id");
  mark(0);
  const seed = await step.run("seed", () => body("seed", () => id.length * 100));
  mark(1);
  await step.sleep("nap", "100ms");
  mark(2);
  const [a, b] = await Promise.all([
    step.run("a", () => body("a", () => seed.v + 1)),
    step.run("b", () => body("b", () => seed.v + 2)),
  ]);
  mark(3);
  const flaky = await step.run("flaky", () =>
    body("flaky", () => {
      if (failuresCommitted("flaky") < 1) throw new Error("flaky fails once on purpose");
      return 7;
    }),
  );
  mark(4);
  const [notified, approval] = await Promise.all([
    step.run("notify", () => body("notify", async () => (await pause(300), 1))),
    waitForApproval(id),
  ]);
  mark(5);
  const total = await step.run("total", () => body("total", () => a.v + b.v + flaky.v + notified.v));
  mark(6);
  const by = { seed: seed.by, a: a.by, b: b.by, flaky: flaky.by, notify: notified.by, total: total.by };
  return Response.json({ id, approval: approval ? approval.id : null, total: total.v, by });
});
