/**
 * checkNoReplay has teeth: a handler in replay mode gives the same answers and
 * runs each step once, yet fails the check; the check's rules, fed a journal,
 * catch a resume that started anywhere but at the saved state and a step
 * outcome saved twice.
 */

import { beforeEach, describe, expect, it } from "vitest";
import { NoReplayError, testEndpoint, type EndpointTest } from "@durable-endpoints/test";
import { findReplays } from "../src/no-replay.js";
import { compiledFlow, flow, forgetRan, ran } from "./fixtures/endpoints.js";
import { uncompiledFlow } from "./fixtures/uncompiled.js";

beforeEach(forgetRan);

const EXPECTED = { greetings: ["hello ann", "hello bob"], total: 2 };

async function scenario(t: EndpointTest): Promise<unknown> {
  await t.request("/flow?name=ann&name=bob");
  await t.advance("2m");
  return (await t.result()).json();
}

describe("checkNoReplay", () => {
  it("holds for the compiled endpoint", async () => {
    const t = testEndpoint(compiledFlow);
    expect(await scenario(t)).toEqual(EXPECTED);
    expect(t.checkNoReplay()).toEqual({ executions: 3, resumes: 2 });
  });

  for (const [name, endpoint] of [
    ["an inngest.endpoint() the plugin did not compile", uncompiledFlow],
    ["a plain handler", flow],
  ] as const) {
    it(`fails for ${name} (replay mode), which still answers the same`, async () => {
      const t = testEndpoint(endpoint);
      expect(t.mode).toBe("replay");
      expect(await scenario(t)).toEqual(EXPECTED);
      expect(ran).toEqual({ "greet ann": 1, "greet bob": 1, count: 1 }); // replay serves finished steps from their results
      expect((await t.run()).note).toMatch(/^replay mode: the endpoint is not compiled/);
      expect(t.logs.some((l) => l.level === "warn" && /is not compiled: running in replay mode/.test(l.message))).toBe(true);

      let error: unknown;
      try {
        t.checkNoReplay();
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(NoReplayError);
      const { problems, summary } = error as NoReplayError;
      expect(summary).toEqual({ executions: 3, resumes: 2 });
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/execution 2 \(process 1\) re-ran the handler from the top — replay mode/);
    });
  }

  it("a replay-mode run that never resumed re-ran nothing: the check passes, and says no run resumed", async () => {
    const t = testEndpoint(flow);
    const res = await t.request("/flow"); // no names: no sleep, finishes inline
    expect(await res.json()).toEqual({ greetings: [], total: 0 });
    expect(t.checkNoReplay()).toEqual({ executions: 1, resumes: 0 });
  });
});

describe("the check's rules", () => {
  const checkpoint = (process: number, fields: object) => ({ kind: "checkpoint" as const, process, runId: "r", ...fields });
  const execution = (process: number, startState: number) => ({ kind: "execution" as const, process, runId: "r", startState, states: [] });

  it("a resume must start at the state the last checkpoint saved", () => {
    const journal = [
      execution(1, 0),
      checkpoint(1, { stepId: "a", stepStatus: "completed", state: 2 }),
      checkpoint(1, { stepId: "nap", stepStatus: "waiting", state: 4, runStatus: "waiting" }),
      execution(2, 4),
    ];
    expect(findReplays(journal, "compiled").problems).toEqual([]);
    const fromTheTop = findReplays([...journal.slice(0, 3), execution(2, 0)], "compiled").problems;
    expect(fromTheTop).toEqual([
      "run r, execution 2 (process 2) started at state 0, but the run's saved resume point was state 4 (it was replayed from the top: a run saved by another version of the handler?)",
    ]);
    expect(findReplays([...journal.slice(0, 3), execution(2, 2)], "compiled").problems).toHaveLength(1);
    // nothing saved yet: starting again at the top is right (the step was cut short, it runs again)
    expect(findReplays([execution(1, 0), execution(2, 0)], "compiled").problems).toEqual([]);
  });

  it("no step outcome, and no failed attempt, may be saved twice", () => {
    const completedTwice = [
      checkpoint(1, { stepId: "charge", stepStatus: "completed", state: 1 }),
      checkpoint(2, { stepId: "charge", stepStatus: "completed" }),
    ];
    expect(findReplays(completedTwice, "compiled").problems).toEqual([
      'run r: step "charge" ran again after its outcome (completed) was saved by process 1 (saved again by process 2)',
    ]);
    const attemptTwice = [
      checkpoint(1, { stepId: "charge", stepStatus: "retrying", attempts: 1 }),
      checkpoint(2, { stepId: "charge", stepStatus: "retrying", attempts: 1 }),
    ];
    expect(findReplays(attemptTwice, "compiled").problems).toEqual([
      'run r: step "charge" ran again after its failed attempt 1 was saved by process 1 (saved again by process 2)',
    ]);
    const retried = [
      checkpoint(1, { stepId: "charge", stepStatus: "retrying", attempts: 1 }),
      checkpoint(1, { stepId: "charge", stepStatus: "retrying", attempts: 2 }),
      checkpoint(1, { stepId: "charge", stepStatus: "completed" }),
    ];
    expect(findReplays(retried, "compiled").problems).toEqual([]);
  });
});
