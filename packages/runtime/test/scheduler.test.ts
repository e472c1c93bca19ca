/**
 * The scheduler claims due work on every "work may be due" signal, including one that arrives while a pass is
 * finishing (after its claim read the runs, while it looks up the next wake-up) or while the event loop is too busy
 * for its timer to fire on time: that signal must not wait for the next lease period. A run it claims while this
 * process's execution of it is still ending (the run became due as it suspended) is resumed, not dropped.
 */
import { afterEach, expect, test, vi } from "vitest";
import { step, type Store } from "@durable-endpoints/runtime";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { closeClients, intercepted, req, testClient } from "./helpers.js";

afterEach(closeClients);

/**
 * A store whose first scheduler pass that finds a run waiting wakes it right after reading the next wake-up (as
 * another process's wakeRun or resolved wait committing at that moment would), then runs `afterWake` before the pass
 * goes on. Returns the woken run's id once known.
 */
function wokenWhilePassEnds(inner: Store, afterWake: () => Promise<void> | void): { store: Store; woken: () => string | null } {
  let woken: string | null = null;
  const store = intercepted(inner, {
    nextWakeAt: (target) => async (...args: Parameters<Store["nextWakeAt"]>) => {
      const next = await target.nextWakeAt(...args);
      const [waiting] = woken === null ? await target.listRuns({ status: "waiting" }) : [];
      if (waiting && (await target.wakeRun(waiting.id, Date.now()))) {
        woken = waiting.id;
        await afterWake();
      }
      return next;
    },
  });
  return { store, woken: () => woken };
}

/** An endpoint that sleeps an hour is started on `store`; resolves once the run `woken` names has completed. */
async function expectWokenRunCompletes(store: Store, inner: Store, woken: () => string | null): Promise<void> {
  // the lease period (the scheduler's slowest re-arm) outlasts the test: a lost signal or claim times it out
  const { inngest } = testClient({ store, leaseMs: 3_600_000 });
  const handler = inngest.endpoint(async () => {
    await step.sleep("s", "1h");
    return Response.json({ done: true });
  });
  expect((await handler(req("/api/sleeper"))).status).toBe(303);
  await vi.waitFor(() => expect(woken()).not.toBeNull(), { timeout: 5000, interval: 10 });
  await vi.waitFor(async () => expect((await inner.getRun(woken()!))?.status).toBe("completed"), { timeout: 14_000, interval: 10 });
}

test("a run made due while a scheduler pass looks up the next wake-up is claimed at once", { timeout: 15_000 }, async () => {
  const inner = memoryStore();
  // the wake-up's signal reaches the scheduler while this pass still runs (a remote one takes a round trip)
  const { store, woken } = wokenWhilePassEnds(inner, () => new Promise((resolve) => setTimeout(resolve, 20)));
  await expectWokenRunCompletes(store, inner, woken);
});

test("a run made due while a busy event loop keeps the signal's timer from firing before the pass re-arms is claimed at once", { timeout: 15_000 }, async () => {
  const inner = memoryStore();
  // The signal arms a timer for now, and the event loop stays busy past that time before the pass re-arms for the
  // next wake-up (a loaded machine: timers fire late). The pending timer must survive that re-arm.
  const { store, woken } = wokenWhilePassEnds(inner, () => {
    for (const until = Date.now() + 5; Date.now() < until; ); // busy: no timer fires meanwhile
  });
  await expectWokenRunCompletes(store, inner, woken);
});

test("a client started by a request claims the runs due before it started once it has answered", { timeout: 15_000 }, async () => {
  const store = memoryStore();
  // the lease period (the scheduler's slowest re-arm) outlasts the test: only the first claim can resume the run
  const sleeper = (client: ReturnType<typeof testClient>) =>
    client.inngest.endpoint(async () => {
      await step.sleep("s", "1h");
      return Response.json({ woke: true });
    });
  const first = testClient({ store, leaseMs: 3_600_000 });
  const started = await sleeper(first)(req("/api/sleeper"));
  expect(started.status).toBe(303);
  const runId = started.headers.get("x-durable-run-id")!;
  await first.inngest.close();
  expect(await store.wakeRun(runId, Date.now())).toBe(true);

  // a fresh client (a new serverless invocation) whose first request starts another run
  const second = testClient({ store, leaseMs: 3_600_000 });
  const other = await sleeper(second)(req("/api/sleeper"));
  expect(other.status).toBe(303);
  expect(other.headers.get("x-durable-run-id")).not.toBe(runId);
  await vi.waitFor(async () => expect((await store.getRun(runId))?.status).toBe("completed"), { timeout: 14_000, interval: 10 });
});

test("a run made due and claimed by this process's scheduler while its suspending execution is still winding down is resumed", { timeout: 15_000 }, async () => {
  const inner = memoryStore();
  let woken: string | null = null;
  let claimed!: () => void;
  const claimedHere = new Promise<void>((resolve) => (claimed = resolve));
  // The checkpoint that suspends the run (and releases its lease) commits; before the execution has returned,
  // the run is woken (another process's wakeRun or resolved wait) and our own scheduler claims it.
  const store = intercepted(inner, {
    checkpoint: (target) => async (cp: Parameters<Store["checkpoint"]>[0]) => {
      const applied = await target.checkpoint(cp);
      if (woken === null && cp.releaseLease && cp.run.status === "waiting" && (await target.wakeRun(cp.runId, Date.now()))) {
        woken = cp.runId;
        await claimedHere;
      }
      return applied;
    },
    claimDue: (target) => async (...args: Parameters<Store["claimDue"]>) => {
      const runs = await target.claimDue(...args);
      if (runs.some((run) => run.id === woken)) setTimeout(claimed, 10); // resumeClaimed runs first
      return runs;
    },
  });
  await expectWokenRunCompletes(store, inner, () => woken);
});
