/**
 * Issue #12 classes 6 and 13: evaluation order and short-circuits around a hoisted await.
 * Everything evaluated before an await (in source order) is evaluated before its state,
 * nothing conditional becomes unconditional. Compiled vs plain, straight and resumed.
 */
import { describe, expect, it } from "vitest";
import { expectEquivalent, load } from "./harness.js";

const endpoint = (handler: string) => `import { step } from "inngest";\nexport const handler = inngest.endpoint(${handler});\n`;
/** `minCheckpoints` 0: a function live across the await cannot be saved, so only plain awaits are compared. */
const check = async (body: string, minCheckpoints = 1) => {
  const { plain, checkpoints } = await expectEquivalent(load(endpoint(`async () => {\n${body}\n}`)), { scenario: { retries: 0 } });
  expect(checkpoints).toBeGreaterThanOrEqual(minCheckpoints);
  return JSON.parse(plain.body);
};
const s = (id: string, value: string) => `step.run("${id}", () => ${value})`;

describe("evaluation order (class 6): the callee before its arguments", () => {
  it("a callee reassigned by a later argument is the one read first", async () => {
    expect(
      await check(`
      const a = () => "a", b = () => "b";
      let f = a;
      const called = f(await Promise.resolve(1), f = b);
      let g = a;
      const second = g((g = b, await Promise.resolve(2)));
      return Response.json({ called, second, f: f(), g: g() });`, 0),
    ).toEqual({ called: "a", second: "a", f: "b", g: "b" });
  });

  it("the object of a method call is read before an argument reassigns it", async () => {
    expect(
      await check(`
      let o = { m(v) { return "first " + v; } };
      const p = { m(v) { return "second " + v; } };
      const got = o.m(await Promise.resolve(1), o = p);
      const again = o.m((o = { m: () => "third" }, await Promise.resolve(2)));
      return Response.json({ got, again });`, 0),
    ).toEqual({ got: "first 1", again: "second 2" });
  });
});

describe("side effects around awaits (class 13)", () => {
  it("short-circuits inside an awaited call are kept", async () => {
    expect(
      await check(`
      let y = 0, x = 0, z = 0;
      const p = (v) => step.run("p", () => v ?? null);
      const a = null, c = true;
      const r1 = await p(false && y++);
      const r2 = await p(a?.[x++]);
      const r3 = await p(c ? 0 : z++);
      const r4 = await p(true || (y = 5));
      return Response.json({ y, x, z, r1, r2, r3, r4 });`),
    ).toEqual({ y: 0, x: 0, z: 0, r1: false, r2: null, r3: 0, r4: true });
  });

  it("values read before an effect hoisted out of an await keep their order", async () => {
    expect(
      await check(`
      let i = 0;
      const p = (v) => step.run("p", () => v);
      const pair = [i, await p(i++)];
      let j = 0;
      const args = await step.run("args", () => null) ?? [j, j++, j];
      let k = 0;
      const both = await Promise.all([p(k), step.run(\`s-\${k++}\`, () => k)]);
      return Response.json({ pair, i, args, j, both, k });`),
    ).toEqual({ pair: [0, 0], i: 1, args: [0, 0, 1], j: 1, both: [0, 1], k: 1 });
  });

  it("an effect in an awaited step id runs once, in order, even when conditional", async () => {
    expect(
      await check(`
      let n = 0;
      const flag = false;
      const ids = [];
      for (let r = 0; r < 2; r++) ids.push(await step.run(flag ? \`a-\${n++}\` : \`b-\${n}\`, () => n));
      const got = await step.run(\`c-\${n++}\`, () => n);
      return Response.json({ ids, got, n });`),
    ).toEqual({ ids: [0, 0], got: 1, n: 1 });
  });
});

describe("template literals: each substitution is a string before the next is evaluated", () => {
  it("converts substitutions before a later await, once each and in order; a tag gets the values", async () => {
    expect(
      await check(`
      const log = [];
      const o = { toString() { log.push("o"); return "O"; } };
      const p = { [Symbol.toPrimitive](hint) { log.push("p:" + hint); return "P"; } };
      const v = { toString: undefined, valueOf() { log.push("v"); return 7; } };
      const s = \`\${o}-\${await (log.push("a1"), Promise.resolve(1))}-\${p}\${v}-\${await (log.push("a2"), Promise.resolve(2))}\`;
      let n = 0;
      const c = { toString() { return String(++n); } };
      const counted = \`\${c}\${await Promise.resolve("-")}\${c}\`;
      const tagged = ((strings, ...values) => values.map((x) => typeof x))\`\${o}\${await Promise.resolve(3)}\`;
      return Response.json({ s, log, counted, n, tagged });`, 0),
    ).toEqual({ s: "O-1-P7-2", log: ["o", "a1", "p:string", "v", "a2"], counted: "1-2", n: 2, tagged: ["object", "number"] });
  });
});
