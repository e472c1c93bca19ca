/** Virtual time: sleeps end when the test says so — exactly then, and without waiting for real. */

import { describe, expect, it } from "vitest";
import { testEndpoint } from "@durable-endpoints/test";
import { nap } from "./fixtures/endpoints.js";

const START = new Date("2030-01-01T00:00:00Z");

describe("virtual time", () => {
  it("a 30-day sleep completes when 30 days are advanced, and not a millisecond earlier", async () => {
    const t = testEndpoint(nap, { now: START });
    expect(t.mode).toBe("compiled");

    const first = await t.request("/nap");
    expect(first.status).toBe(303);
    const waiting = await t.run();
    expect(waiting).toMatchObject({ status: "waiting", wakeAt: new Date("2030-01-31T00:00:00Z") });
    expect(waiting.steps.map((s) => [s.id, s.status])).toEqual([["start", "completed"], ["month", "waiting"]]);

    await t.advance(30 * 86_400_000 - 1);
    expect((await t.run()).status).toBe("waiting");
    expect((await t.follow(first)).status).toBe(202);

    await t.advance(1);
    expect(t.now()).toEqual(new Date("2030-01-31T00:00:00Z"));
    expect((await t.run()).steps.map((s) => [s.id, s.status])).toEqual([["start", "completed"], ["month", "completed"]]);
    const done = await t.follow(first);
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ started: "started", woke: true });
    expect(await (await t.result()).json()).toEqual({ started: "started", woke: true });
    expect(t.checkNoReplay()).toEqual({ executions: 2, resumes: 1 });
    await t.close();
  });
});
