/** waitForEvent on virtual time: the event wins before the timeout, the timeout wins after it — exactly at it. */

import { beforeEach, describe, expect, it } from "vitest";
import { testEndpoint } from "@durable-endpoints/test";
import { approval, forgetRan, ran } from "./fixtures/endpoints.js";

beforeEach(forgetRan);

describe("waitForEvent", () => {
  it("a matching event sent before the timeout resumes the run with it", async () => {
    const t = testEndpoint(approval);
    const first = await t.request("/approval?orderId=7");
    expect(first.status).toBe(303);
    expect((await t.run()).steps[1]).toMatchObject({ id: "approval", kind: "waitForEvent", status: "waiting" });

    await t.advance("59m");
    await t.send({ name: "order/approved", data: { orderId: "8", by: "mallory" } }); // another order: no match
    expect((await t.run()).status).toBe("waiting");
    await t.send({ name: "order/approved", data: { orderId: "7", by: "ann" } });

    const done = await t.follow(first);
    expect(await done.json()).toEqual({ order: "7", outcome: "charged", by: "ann" });
    expect((await t.run()).steps[1]).toMatchObject({ status: "completed", result: { name: "order/approved", data: { orderId: "7", by: "ann" } } });
    expect(ran).toEqual({ reserve: 1, settle: 1 });
  });

  it("without an event the wait times out at exactly one hour and resumes with null", async () => {
    const t = testEndpoint(approval);
    const first = await t.request("/approval?orderId=7");
    await t.advance(3_600_000 - 1);
    expect((await t.follow(first)).status).toBe(202);
    await t.advance(1);
    expect(await (await t.follow(first)).json()).toEqual({ order: "7", outcome: "released", by: null });
    expect((await t.run()).steps[1]).toMatchObject({ id: "approval", status: "completed", result: null });
  });

  it("an event sent after the timeout no longer counts", async () => {
    const t = testEndpoint(approval);
    await t.request("/approval?orderId=7");
    await t.advance("2h");
    await t.send({ name: "order/approved", data: { orderId: "7", by: "late" } });
    expect(await (await t.result()).json()).toEqual({ order: "7", outcome: "released", by: null });
  });

  it("t.result() says what a run still waits for", async () => {
    const t = testEndpoint(approval, { now: "2030-01-01T00:00:00Z" });
    await t.request("/approval?orderId=7");
    await expect(t.result()).rejects.toThrow(/step "approval" waits for an event, times out at 2030-01-01T01:00:00.000Z \(3600000 ms from now\)/);
  });
});
