/**
 * The example app's checkout endpoint (../shared/src/endpoints.ts), tested
 * with @durable-endpoints/test: on virtual time (no real 200 ms sleep, no
 * 5-minute timeout to sit through), with its approval event, and crashed
 * after every step.
 */

import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { testEndpoint, type EndpointTest } from "@durable-endpoints/test";
import { checkout } from "example-shared/endpoints.ts";

let log: MockInstance<typeof console.log>;
beforeEach(() => void (log = vi.spyOn(console, "log").mockImplementation(() => {})));
afterEach(() => log.mockRestore());

/** How often each step body ran: the step bodies log "[example] reserve 7", … */
const bodies = () => log.mock.calls.map(([line]) => String(line).split(" ")[1]);

/** A customer orders, the cool-down passes, a manager approves; returns the final answer. */
async function order(t: EndpointTest): Promise<Record<string, unknown>> {
  const first = await t.request("/api/checkout?orderId=7&sleep=200ms");
  expect(first.status).toBe(303);
  await t.advance("200ms");
  await t.send({ name: "order/approved", data: { orderId: "7", by: "ann" } });
  const res = await t.result();
  expect(res.status).toBe(200);
  return res.json();
}

describe("checkout", () => {
  it("is compiled, waits out its cool-down and the approval, and answers", async () => {
    const t = testEndpoint(checkout);
    expect(t.mode).toBe("compiled");
    const answer = await order(t);
    expect(answer).toMatchObject({ orderId: "7", amount: 42, approvedBy: "ann" });
    expect(new Date(answer.reservedAt as string).toISOString()).toBe(answer.reservedAt);
    expect(bodies()).toEqual(["reserve", "charge"]);
    expect(t.checkNoReplay().resumes).toBe(2); // after the cool-down, after the event
  });

  it("without an approval the wait times out after 5 minutes and nobody approved", async () => {
    const t = testEndpoint(checkout);
    const first = await t.request("/api/checkout?orderId=8");
    await t.advance("5m200ms");
    expect(await (await t.follow(first)).json()).toMatchObject({ orderId: "8", approvedBy: null });
  });

  for (const step of ["reserve", "charge", "cool-down", "approval"]) {
    it(`a crash right after "${step}" is saved changes nothing: same answer, each step once, no replay`, async () => {
      const t = testEndpoint(checkout);
      t.crashAfter(step, { resume: true });
      expect(await order(t)).toMatchObject({ orderId: "7", amount: 42, approvedBy: "ann" });
      expect(t.process).toBe(2);
      expect(bodies()).toEqual(["reserve", "charge"]);
      t.checkNoReplay();
    });
  }
});
