/** Less common syntax around awaits: compiled vs plain with a crash after every checkpoint. */
import { describe, expect, it } from "vitest";
import { expectEquivalent, load } from "./harness.js";

const endpoint = (handler: string, prelude = "") => `import { step } from "inngest";\n${prelude}\nexport const handler = inngest.endpoint(${handler});\n`;
const check = async (handler: string, prelude = "") => {
  const { checkpoints } = await expectEquivalent(load(endpoint(handler, prelude)), { scenario: { retries: 0 } });
  expect(checkpoints).toBeGreaterThan(0);
};
const s = (id: string, value: string) => `step.run("${id}", () => ${value})`;

describe("edge cases", () => {
  it("awaits in loop heads, switch discriminants, throw, delete, typeof, void", async () => {
    await check(`async () => {
      const out = [];
      for (let i = 0; i < await ${s("limit", "2")}; i += await ${s("inc-" + "x", "1")}) out.push(i);
      let n = 0;
      do { n++; } while (n < await ${s("dw", "3")});
      switch (await ${s("disc", "'b'")}) { case "a": out.push("A"); break; case await ${s("case-b", "'b'")}: out.push("B"); }
      const obj = { k: 1, j: 2 };
      delete obj[await ${s("key", "'k'")}];
      out.push(typeof await ${s("ty", "1")}, void await ${s("vd", "1")}, Object.keys(obj));
      try { throw await ${s("err", "'thrown'")}; } catch (e) { out.push(e); }
      try { await step.run("fails", () => { throw new Error("x"); }); } catch { out.push("no param"); }
      return Response.json({ out, n });
    }`);
  });

  it("chained assignments, swaps, member updates, tagged templates, expression bodies", async () => {
    await check(`async () => {
      let a, b = 1, c = 2;
      a = b = await ${s("chain", "5")};
      [b, c] = [c, await ${s("swap", "9")}];
      const holder = { count: 0 };
      (await ${s("holder", "({ count: 1 })")}).count++;
      holder.count += await ${s("plus", "2")};
      const tag = (strings, ...values) => strings.raw.join("|") + values.join(",");
      const tagged = tag\`x\${await ${s("tagged", "1")}}y\${b}\`;
      const nested = await (async () => await ${s("nested", "'n'")})();
      return Response.json({ a, b, c, holder, tagged, nested });
    }`);
  });

  it("classes, shadowed functions in blocks, var redeclaration, multi-declarators", async () => {
    await check(`async () => {
      class Counter { constructor(n) { this.n = n; } next() { return this.n + 1; } }
      var x = 1; var x = await ${s("x", "2")};
      let p = 1, q = await ${s("q", "p + 1")}, r = p + q;
      const seen = [];
      { function f() { return "outer-block"; } seen.push(f()); }
      { function f() { return "inner-block"; } seen.push(await ${s("f", "f()")}); }
      const made = new Counter(await ${s("counter", "41")}).next();
      return Response.json({ x, p, q, r, seen, made });
    }`);
  });

  it("captured locals shadowed inside callbacks, blocks, catch clauses, loop heads and classes", async () => {
    await check(`async () => {
      let total = 0, item = "outer";
      const xs = [1, 2, 3];
      total += await ${s("a", "1")};
      xs.forEach((item) => { if (item > 1) { let total = 100; item += total; } total += item; });
      const f = function total2(total) { return total * 2; };
      const g = (n) => { try { throw new Error("e" + n); } catch (total) { return total.message + item; } };
      const h = () => { let acc = ""; for (const total of [5, 6]) acc += total; for (let item = 0; item < 2; item++) acc += item; return acc; };
      class K { total = 1; m(item) { return item + this.total; } static total() { return total; } }
      const r = await ${s("b", "2")};
      return Response.json({ total, item, f: f(3), g: g(1), h: h(), k: new K().m(4), ks: K.total(), r });
    }`);
  });

  it("an expression-bodied handler and optional chains on awaited values", async () => {
    await check(`async (req) => Response.json({
      a: (await ${s("obj", "({ x: { y: 1 } })")})?.x?.y,
      b: (await ${s("none", "null")})?.missing ?? "fallback",
      c: await ${s("c", "3")} > 2 ? "big" : "small",
    })`);
  });

  it("a step result used after many unrelated awaits keeps its value", async () => {
    await check(`async () => {
      const first = await ${s("first", "({ deep: [1, { d: new Date(0) }], m: new Map([[1, 2]]) })")};
      for (let i = 0; i < 3; i++) await Promise.resolve(i);
      await step.sleep("nap", "1ms");
      return Response.json({ first: first.deep[1].d.toISOString(), m: [...first.m] });
    }`);
  });
});
