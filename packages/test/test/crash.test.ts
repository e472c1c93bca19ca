/**
 * Crashes: the process dies right after a checkpoint, a fresh one takes the
 * run over; the final Response is the same as without a crash, every step
 * body that completed ran once, and nothing before a resume point ran again.
 */

import { beforeEach, describe, expect, it } from "vitest";
import { SimulatedCrash, testEndpoint, type EndpointTest } from "@durable-endpoints/test";
import { compiledFlow, flow, forgetRan, ran } from "./fixtures/endpoints.js";

beforeEach(forgetRan);

const URL = "/flow?name=ann&name=bob";
const EXPECTED = { greetings: ["hello ann", "hello bob"], total: 2 };
const ONCE = { "greet ann": 1, "greet bob": 1, count: 1 };

/** What a client and the passing of time do to one run of `flow`: the same code with or without a crash. */
async function scenario(t: EndpointTest): Promise<unknown> {
  await t.request(URL);
  await t.advance("1m"); // the first pause
  await t.advance("1m"); // the second
  return (await t.result()).json();
}

describe("crash and resume", () => {
  it("crashing after every checkpoint in turn changes nothing a client sees", async () => {
    const baseline = testEndpoint(compiledFlow);
    expect(await scenario(baseline)).toEqual(EXPECTED);
    const checkpoints = baseline.checkpoints.length;
    expect(checkpoints).toBe(6); // greet, pause, greet:1, pause:1, count, the final Response

    for (let n = 1; n <= checkpoints; n++) {
      forgetRan();
      const t = testEndpoint(compiledFlow);
      t.crashAfter({ checkpoint: n }, { resume: true });
      expect(await scenario(t), `crash after checkpoint ${n}`).toEqual(EXPECTED);
      expect(t.process, `crash after checkpoint ${n}`).toBe(2);
      expect(ran, `crash after checkpoint ${n}`).toEqual(ONCE);
      // a crash after the final checkpoint leaves nothing to resume
      expect(t.checkNoReplay().resumes, `crash after checkpoint ${n}`).toBeGreaterThanOrEqual(n < checkpoints ? 1 : 0);
    }
  });

  it("crashAfter(stepId), then an explicit resume in a new process", async () => {
    const t = testEndpoint(compiledFlow, { now: "2030-01-01T00:00:00Z", client: { leaseMs: 10_000 } });
    t.crashAfter("greet");
    await expect(t.request(URL)).rejects.toThrow(SimulatedCrash);
    expect(t.crashed).toBe(true);
    await expect(t.request(URL)).rejects.toThrow(/process 1 crashed; call t.resume\(\)/);

    // what the dead process left: the step saved, the run still leased by it
    const left = await t.run();
    expect(left).toMatchObject({ status: "running", steps: [{ id: "greet", status: "completed", result: "hello ann" }] });

    const res = await t.resume(); // the cut-off request, sent again once the lease (10 s) expired
    expect(t.now()).toEqual(new Date("2030-01-01T00:00:10Z"));
    expect(res!.status).toBe(303);
    expect(t.process).toBe(2);
    const waiting = await t.run();
    expect(waiting).toMatchObject({ status: "waiting", locals: { greetings: ["hello ann"] } });

    await t.advance("2m");
    expect(await (await t.result()).json()).toEqual(EXPECTED);
    expect(ran).toEqual(ONCE);
    // process 2 started where process 1's last checkpoint left the run, not at the top
    const [saved] = t.checkpoints;
    expect(saved).toMatchObject({ process: 1, stepId: "greet", stepStatus: "completed" });
    expect(t.executions.map((e) => [e.process, e.startState])).toEqual([
      [1, 0],
      [2, saved!.state],
      [2, waiting.state],
      [2, waiting.state],
    ]);
    expect(t.checkNoReplay()).toEqual({ executions: 4, resumes: 3 });
  });

  it("crashAfter({ state }) crashes at the checkpoint that saves that resume point", async () => {
    const t = testEndpoint(compiledFlow);
    await t.request(URL);
    const { state } = await t.run(); // the pause's state
    const again = testEndpoint(compiledFlow);
    again.crashAfter({ state });
    await expect(again.request(URL)).rejects.toThrow(/crashed right after saving step "pause" \(waiting\), resume point state/);
  });

  it("a crash during t.advance(): the scheduler of the new process finishes the run", async () => {
    const t = testEndpoint(compiledFlow);
    await t.request(URL);
    t.crashAfter("greet:1");
    await t.advance("1m");
    expect(t.crashed).toBe(true);
    await expect(t.send({ name: "x" })).rejects.toThrow(/crashed; call t.resume\(\)/);
    expect(await t.resume()).toBeUndefined(); // no request was cut off
    await t.advance("1m");
    expect(await (await t.result()).json()).toEqual(EXPECTED);
    expect(ran).toEqual(ONCE);
    t.checkNoReplay();
  });

  it("replay mode: a new process learns the endpoint from the client polling its run, and finishes it", async () => {
    const t = testEndpoint(flow);
    await t.request(URL);
    t.crashAfter("greet:1");
    await t.advance("1m");
    expect(t.crashed).toBe(true);
    await t.resume(); // no request was cut off; the client polls the URL it was given
    await t.advance("1m");
    expect(await (await t.result()).json()).toEqual(EXPECTED);
    expect(ran).toEqual(ONCE);
    expect(() => t.checkNoReplay()).toThrow(/replay mode/);
  });

  it("t.resume() without a crash is an error that says so", async () => {
    const t = testEndpoint(compiledFlow);
    t.crashAfter("no-such-step");
    await t.request(URL);
    await expect(t.resume()).rejects.toThrow("t.resume(): process 1 has not crashed (t.crashAfter() is armed but no checkpoint matched it yet)");
  });
});
