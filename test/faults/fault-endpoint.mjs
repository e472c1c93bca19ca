// The endpoint the fault suite drives, as written (a plain handler: replay mode) and compiled by the
// transform. Every kind of step: runs, a sleep, a Promise.all group, a step that fails once (a
// retry), two waitForEvents for the same event in flight next to a slow sibling step (siblings of one
// Promise.all: both may receive one event), then a third wait for that same event begun after them
// (it must never receive what they received). The driver sends several events, and the same ids
// again, at any moment. Marks m0…m7 sit between the awaits, so a checker can tell code before a
// resume point from code after.
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
async function waitFor(name) {
  const wait = step.waitForEvent(name, { event: "fault/approved", match: "data.id", timeout: Number(process.env.FAULT_WAIT_TIMEOUT_MS ?? 2000) });
  record("wait-began", { step: name });
  return wait;
}

/** What a wait handed the handler: the event's id and `ts`, or null (timed out). */
const got = (event) => (event ? { id: event.id, ts: event.ts } : null);

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
  const [notified, approval, twin] = await Promise.all([
    step.run("notify", () => body("notify", async () => (await pause(300), 1))),
    waitFor("approval"),
    waitFor("twin"),
  ]);
  mark(5);
  // begun after the run received what approval and twin got: never resolved by one of those
  const second = await waitFor("second");
  mark(6);
  const total = await step.run("total", () => body("total", () => a.v + b.v + flaky.v + notified.v));
  mark(7);
  const by = { seed: seed.by, a: a.by, b: b.by, flaky: flaky.by, notify: notified.by, total: total.by };
  return Response.json({ id, approval: got(approval), twin: got(twin), second: got(second), total: total.v, by });
});
