/** Retries on virtual time: each attempt runs at the exact time its backoff scheduled, not before. */

import { beforeEach, describe, expect, it } from "vitest";
import { testEndpoint } from "@durable-endpoints/test";
import { flaky, forgetRan, ran } from "./fixtures/endpoints.js";

beforeEach(forgetRan);

describe("retries", () => {
  it("a failed step is retried exactly when its backoff says (1 s, then 2 s, with jitter), never earlier", async () => {
    const t = testEndpoint(flaky);
    const first = await t.request("/flaky?failures=2");
    expect(first.status).toBe(303);

    for (const attempt of [1, 2]) {
      const [call] = (await t.run()).steps;
      expect(call).toMatchObject({ id: "call", status: "retrying", attempts: attempt, error: { message: `attempt ${attempt} failed` } });
      // backoff: initial · 2^(attempt-1), times a jitter in [0.5, 1]
      const delay = call!.wakeAt!.getTime() - t.now().getTime();
      expect(delay).toBeGreaterThanOrEqual(500 * 2 ** (attempt - 1));
      expect(delay).toBeLessThanOrEqual(1000 * 2 ** (attempt - 1));

      await t.advance(delay - 1);
      expect(ran.call).toBe(attempt);
      await t.advance(1);
      expect(ran.call).toBe(attempt + 1);
    }

    const done = await t.follow(first);
    expect(await done.json()).toEqual({ report: "done after 3" });
    expect(ran).toEqual({ call: 3, report: 1 });
    // the completed step keeps its failed attempts (the store counts failures: 2 before the success)
    expect((await t.run()).steps.map((s) => [s.id, s.status, s.attempts, s.result])).toEqual([
      ["call", "completed", 2, { attempts: 3 }],
      ["report", "completed", 0, "done after 3"],
    ]);
    expect(t.checkNoReplay()).toEqual({ executions: 3, resumes: 2 });
  });

  it("retries that run out fail the run with the step's error (500), after the last backoff", async () => {
    const t = testEndpoint(flaky, { client: { retries: 1 } });
    await t.request("/flaky?failures=5");
    await t.advance("1s"); // the only retry: at most 1 s later
    expect(ran.call).toBe(2);
    const res = await t.result();
    expect(res.status).toBe(500);
    expect((await t.run()).steps[0]).toMatchObject({ id: "call", status: "failed", attempts: 2, error: { message: "attempt 2 failed" } });
  });

  it("a NonRetriableError fails at once: no time needs to pass", async () => {
    const t = testEndpoint(flaky);
    const res = await t.request("/flaky?failures=-1");
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { name: "StepError", message: "gave up" } });
    expect(ran.call).toBe(1);
  });
});
