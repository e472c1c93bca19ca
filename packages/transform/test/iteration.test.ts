/**
 * Issue #12 class 8: a lowered for…of follows the iterator protocol as the plain loop does
 * (lazy next(), return() on break/return/throw, mutations seen); for…in sees deletions.
 * Across a resume: arrays by index and live length, other iterables saved and their
 * iterator advanced past the elements taken; an iterator that cannot be saved fails the
 * checkpoint naming its local.
 */
import { describe, expect, it } from "vitest";
import { expectEquivalent, load, RunRecord, runMachine } from "./harness.js";

const endpoint = (body: string) => `import { step } from "inngest";\nexport const handler = inngest.endpoint(async () => {\n${body}\n});\n`;
/** `minCheckpoints` 0: iterators live across the await cannot be saved, so only plain awaits are compared. */
const check = async (body: string, minCheckpoints = 1) => {
  const { plain, checkpoints } = await expectEquivalent(load(endpoint(body)), { scenario: { retries: 0 } });
  expect(checkpoints).toBeGreaterThanOrEqual(minCheckpoints);
  return JSON.parse(plain.body);
};

describe("for…of without a crash: the iterator protocol as in plain code", () => {
  it("a generator is read lazily, between the body's awaits", async () => {
    expect(
      await check(
        `const log = [];
      function* g() { log.push("y1"); yield 1; log.push("y2"); yield 2; log.push("end"); }
      for (const x of g()) { log.push(x); await null; }
      return Response.json(log);`,
        0,
      ),
    ).toEqual(["y1", 1, "y2", 2, "end"]);
  });

  it("return() is called on break, return and throw, not on exhaustion", async () => {
    expect(
      await check(
        `const log = [];
      const iterable = (name) => ({ [Symbol.iterator]() { let i = 0; return {
        next: () => { log.push(name + " next"); return { done: i >= 2, value: i++ }; },
        return: () => { log.push(name + " return"); return {}; } }; } });
      for (const x of iterable("all")) await null;
      for (const x of iterable("break")) { await null; break; }
      outer: for (const y of [1]) for (const x of iterable("continue outer")) { await null; continue outer; }
      const f = async () => { for (const x of iterable("return")) { await null; return x; } };
      await f();
      try { for (const x of iterable("throw")) { await null; throw new Error("boom"); } } catch (e) { log.push(e.message); }
      return Response.json(log);`,
        0,
      ),
    ).toEqual([
      "all next", "all next", "all next",
      "break next", "break return",
      "continue outer next", "continue outer return",
      "return next", "return return",
      "throw next", "throw return", "boom",
    ]);
  });

  it("an array mutated during the loop is read live; a throwing next() does not close", async () => {
    expect(
      await check(`
      const xs = [1, 2];
      const seen = [];
      for (const x of xs) { seen.push(await step.run("x", () => x)); if (x === 1) xs.push(3); }
      const ys = [4, 5, 6];
      for (const y of ys) { seen.push(await step.run("y", () => y)); if (y === 4) ys.pop(); }
      const log = [];
      const bad = { [Symbol.iterator]: () => ({ next() { throw new Error("next"); }, return() { log.push("closed"); } }) };
      try { for (const x of bad) await step.run("never", () => x); } catch (e) { log.push(e.message); }
      return Response.json({ seen, log });`),
    ).toEqual({ seen: [1, 2, 3, 4, 5], log: ["next"] });
  });

  it("for…in does not visit a key deleted before its turn", async () => {
    expect(
      await check(`
      const o = { a: 1, b: 2, c: 3 };
      const seen = [];
      for (const k in o) { seen.push(await step.run("k", () => k)); delete o.c; }
      for (const i in "ab") seen.push(await step.run("i", () => i));
      return Response.json(seen);`),
    ).toEqual(["a", "b", "0", "1"]);
  });
});

describe("for…of across a resume", () => {
  it("arrays, Maps, Sets, strings and typed arrays resume at the right element", async () => {
    expect(
      await check(`
      const out = [];
      const xs = [1, 2];
      for (const v of xs) { out.push(await step.run("arr", () => v)); if (v === 1) xs.push(9); }
      for (const [k, v] of new Map([["a", 1], ["b", 2]])) out.push(await step.run("map", () => k + v));
      for (const v of new Set(["x", "y"])) out.push(await step.run("set", () => v));
      for (const ch of "hé") out.push(await step.run("str", () => ch));
      for (const n of new Uint8Array([5, 6])) out.push(await step.run("u8", () => n));
      return Response.json(out);`),
    ).toEqual([1, 2, 9, "a1", "b2", "x", "y", "h", "é", 5, 6]);
  });

  it("a generator live at a checkpoint fails it, naming the local", async () => {
    const loaded = load(endpoint(`function* gen() { yield 1; yield 2; }
      const out = [];
      for (const g of gen()) out.push(await step.run("gen", () => g));
      return Response.json(out);`));
    await expect(runMachine(loaded.machine, () => new Request("http://localhost/"), new RunRecord(), {}, null)).rejects.toThrow(
      expect.objectContaining({ path: expect.stringContaining("g_iterable") }),
    );
  });
});
