import { expect } from "vitest";
import type { RunningServer } from "../../support/processes.mjs";
import { completeThroughPollUrl, get, stepRuns } from "./scenarios.js";

/**
 * SIGKILLs the server while the run's "charge" step is in flight, restarts it on the same store,
 * and re-attaches with the same Idempotency-Key: the run resumes at "charge" ("reserve", already
 * checkpointed, never runs again) and finishes through the poll URL.
 */
export async function crashAndResume(start: () => Promise<RunningServer>, orderId: string): Promise<void> {
  const key = `crash-${orderId}`;
  const path = `/api/checkout?orderId=${orderId}&sleep=100ms&workMs=1500`;
  const first = await start();
  const inFlight = get(first.url, path, { "idempotency-key": key }).catch(() => null); // dies with the server
  await first.waitFor(`[example] charge ${orderId}`);
  await first.kill("SIGKILL");
  await inFlight;
  expect(stepRuns(first.output(), "reserve", orderId)).toBe(1);

  const second = await start();
  try {
    let res = await get(second.url, path, { "idempotency-key": key });
    // While the dead owner's lease runs out the run is still "running" elsewhere: 303 to its poll URL.
    expect(res.status).toBe(303);
    res = await completeThroughPollUrl(second.url, res.headers.get("location")!, orderId);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ orderId, amount: 42, approvedBy: "tester" });
    expect(stepRuns(second.output(), "reserve", orderId), second.output()).toBe(0);
    expect(stepRuns(second.output(), "charge", orderId), second.output()).toBe(1);
  } finally {
    await second.kill();
  }
}
