/**
 * The runner's rule for `allowed` differences (runner.mjs WARNED_DIFFERENCES): a `resume` difference is allowed
 * only when the compile reported the warning that documents it (DE1013, DE1014, DE1016); `written` and `steps`
 * must still pass, and the same difference without the warning stays `wrong`.
 */
import { describe, expect, it } from "vitest";
import { loadBundle, runTest, WARNED_DIFFERENCES } from "./runner.mjs";

const bundle = loadBundle();
const run = (code: string) => runTest(bundle, { path: "synthetic.js", code });

describe("allowed: a resume difference the compiler warned about", () => {
  it("lists the warnings that document a difference", () => {
    expect([...WARNED_DIFFERENCES]).toEqual(["DE1013", "DE1014", "DE1016"]);
  });

  it("global state changed before a checkpoint, written through the global's name: DE1016, allowed in resume only", async () => {
    const results = await run(`globalThis.flag = 1;\nassert.sameValue(globalThis.flag, 1);`);
    expect(results.written).toEqual({ result: "pass" });
    expect(results.steps).toEqual({ result: "pass" });
    expect(results.resume!.result).toBe("allowed");
    expect(results.resume!.detail).toMatch(/^warned DE1016: crash after checkpoint 1: /);
  });

  it("a function declaration changed before a checkpoint: DE1014, allowed", async () => {
    const results = await run(`function f() {}\nf.calls = 1;\nassert.sameValue(f.calls, 1);`);
    expect(results.resume!.result).toBe("allowed");
    expect(results.resume!.detail).toMatch(/^warned DE1014: /);
  });

  it("the same difference without the warning (a change through an alias the compiler cannot see) stays wrong", async () => {
    const results = await run(`(function () { var AP = Array.prototype; AP.flag = 1; })();\nassert.sameValue([].flag, 1);`);
    expect(results.written).toEqual({ result: "pass" });
    expect(results.steps).toEqual({ result: "pass" });
    expect(results.resume!.result).toBe("wrong");
    expect(results.resume!.detail).toMatch(/^crash after checkpoint 1: /);
  });
});
