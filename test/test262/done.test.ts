/**
 * The runner's handling of promise jobs across a crash (runner.mjs, realm.js): a `$DONE` the killed process already
 * made is kept (like its printed lines); one that was still a pending callback when it died is lost with it, which
 * is `allowed` only when the compiler warned DE1017; the step tool takes the same promise jobs saving or not.
 */
import { describe, expect, it } from "vitest";
import { loadBundle, runTest } from "./runner.mjs";

const bundle = loadBundle();
const run = (code: string, async = true) => runTest(bundle, { path: "synthetic.js", code, async });

describe("$DONE and pending promise jobs across a crash", () => {
  it("a $DONE made before checkpoint k was written is kept after the resume", async () => {
    const results = await run(`Promise.resolve().then(() => $DONE());\nvar x = 1;`);
    expect(results).toEqual({ written: { result: "pass" }, steps: { result: "pass" }, resume: { result: "pass" } });
  });

  it("a $DONE still pending when the process is killed is lost: allowed, as DE1017 warned", async () => {
    const results = await run(`Promise.resolve().then(() => 0).then(() => 0).then(() => 0).then(() => $DONE());\nvar x = 1;`);
    expect(results.written).toEqual({ result: "pass" });
    expect(results.steps).toEqual({ result: "pass" });
    expect(results.resume).toEqual({ result: "allowed", detail: "warned DE1017: crash after checkpoint 1: $DONE was a pending callback of the killed process" });
  });

  it("the same loss without the warning (`void`: the code says it may be lost) stays wrong", async () => {
    const results = await run(`void Promise.resolve().then(() => 0).then(() => 0).then(() => 0).then(() => $DONE());\nvar x = 1;`);
    expect(results.resume).toEqual({ result: "wrong", detail: "crash after checkpoint 1: plain: ok / compiled: timeout" });
  });

  it("a saving run interleaves with the body's promise jobs as the plain run does; a lost job seen in data stays wrong", async () => {
    const results = await run(`var order = [];\nPromise.resolve().then(() => order.push(1)).then(() => order.push(2)).then(() => order.push(3));\nvar x = 1;\nprint(order.join());`, false);
    expect(results.steps).toEqual({ result: "pass" });
    // not "saving, no crash: …": the step tool took 1 promise job plain and 2 saving before
    expect(results.resume).toEqual({ result: "wrong", detail: `crash after checkpoint 2: plain: ok printed ["1,2,3"] / compiled: ok printed ["1,2"]` });
  });
});
