/**
 * Meaning the compiler must keep beyond values (issue #12, found by the test262 differential run,
 * test/test262): function names, literal bytes and `{ __proto__ }` when locals are renamed or saved
 * on the locals object (classes 1, 11, 17); reads that can throw or run a getter, even when their
 * value is unused (class 9); output that loads whatever the handler declares (class 10).
 * Compiled vs plain, crashed and resumed at every checkpoint.
 */
import { describe, expect, it } from "vitest";
import { expectEquivalent, load } from "./harness.js";

const endpoint = (handler: string) => `import { step } from "inngest";\nexport const handler = inngest.endpoint(${handler});\n`;
const check = async (handler: string) => {
  const { checkpoints, plain } = await expectEquivalent(load(endpoint(handler), "/app/src/handler.js"), { scenario: { retries: 0 } });
  expect(checkpoints).toBeGreaterThan(0);
  return JSON.parse(plain.body);
};

describe("kept meaning", () => {
  it("anonymous functions and classes take the name of the local they are assigned to", async () => {
    const names = await check(`async () => {
      var f = function () {}; let g = () => {}; var C = class {};
      var [a = function () {}] = []; let { b = class {} } = {}; let c; [c = () => {}] = [];
      let h; h ||= () => {}; let k = null; k ??= function () {}; let m = 1; m &&= class {};
      let inner;
      { let f = function () {}; await null; inner = f.name; }
      await null;
      const names = [f.name, g.name, C.name, a.name, b.name, c.name, h.name, k.name, m.name, inner];
      await step.run("a", () => 1);
      return Response.json(names);
    }`);
    expect(names).toEqual(["f", "g", "C", "a", "b", "c", "h", "k", "m", "f"]);
  });

  it("functions that are not assigned to an identifier keep their own name or none", async () => {
    const names = await check(`async () => {
      const o = {}; o.x ||= function () {}; var p = (0, function () {}); var q = function named() {};
      var r; (r) = function () {}; let s; [(s) = () => {}] = [];
      var K = class K { self() { return K; } };
      await null;
      const names = [o.x.name, p.name, q.name, r.name, s.name, K.name, new K().self() === K];
      await step.run("a", () => 1);
      return Response.json(names);
    }`);
    expect(names).toEqual(["", "", "named", "", "", "K", true]);
  });

  it("template literals and backslash-continued strings keep their bytes", async () => {
    const body = await check(`async () => {
      const sql = \`select *
  from t
    where x = \${1}\`;
      const s = "a\\
  b";
      await step.run("a", () => 1);
      return Response.json({ sql, s, t: \`
x\` });
    }`);
    expect(body).toEqual({ sql: "select *\n  from t\n    where x = 1", s: "a  b", t: "\nx" });
  });

  it("a local named __proto__ is saved, and { __proto__ } is an own property, not the prototype", async () => {
    const body = await check(`async () => {
      var __proto__ = await step.run("a", () => 5);
      const o = { __proto__ };
      { let __proto__ = null; await null; var p = { __proto__ }; }
      await null;
      const seen = { own: Object.getOwnPropertyNames(o), value: o.__proto__, p: Object.getPrototypeOf(p) === Object.prototype, inner: p.__proto__ };
      await step.run("b", () => 1);
      return Response.json({ ...seen, saved: __proto__ });
    }`);
    expect(body).toEqual({ own: ["__proto__"], value: 5, p: true, inner: null, saved: 5 });
  });
});

describe("effects and declarations around awaits", () => {
  it("an unused read next to an await still throws or runs its getter", async () => {
    const body = await check(`async () => {
      let gets = 0; const o = { get p() { gets++; return 1; }, toString() { gets += 10; return "o"; } };
      const thrown = [];
      try { (await null, undeclaredBefore); } catch (e) { thrown.push(e.name); }
      try { (undeclaredAfter, await null); } catch (e) { thrown.push(e.name); }
      (await null, o.p);
      (await null, \`\${o}\`);
      (\`\${o}\`, await null);
      const seen = { gets, thrown };
      await step.run("a", () => 1);
      return Response.json(seen);
    }`);
    expect(body).toEqual({ gets: 21, thrown: ["ReferenceError", "ReferenceError"] });
  });

  it("a var redeclaring a function declaration, locals named like the globals the machine uses, an escaped `async`", async () => {
    const body = await check(`async () => {
      function f() { return "f"; }
      var f;
      const Array = { from: () => [] };
      let undefined = "shadowed";
      var async; for (\\u0061sync of [7]);
      const seen = [];
      for (const x of [1, 2]) {
        let y;
        seen.push(await x, y === void 0);
      }
      const result = { f: f(), seen, local: undefined, array: Array.from([1]), async };
      await step.run("a", () => 1);
      return Response.json(result);
    }`);
    expect(body).toEqual({ f: "f", seen: [1, true, 2, true], local: "shadowed", array: [], async: 7 });
  });
});
