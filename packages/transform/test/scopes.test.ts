/**
 * Scopes and bindings kept exactly when the compiler hoists the handler's locals and saves them
 * on the locals object (issue #12 classes 2, 3, 4, 5, 7, 12, 15, 16; found by the test262
 * differential run). Compiled vs plain, crashed and resumed at every checkpoint, and the plain
 * result checked against what JavaScript says.
 */
import { describe, expect, it } from "vitest";
import { expectEquivalent, load } from "./harness.js";

const endpoint = (handler: string) => `import { step } from "inngest";\nexport const handler = inngest.endpoint(${handler});\n`;
const check = async (handler: string) => {
  const { checkpoints, plain } = await expectEquivalent(load(endpoint(handler), "/app/src/handler.js"), { scenario: { retries: 0 } });
  expect(checkpoints).toBeGreaterThan(0);
  return JSON.parse(plain.body);
};
const caught = `const caught = (f) => { try { return f(); } catch (e) { return e.constructor.name; } };`;

describe("scopes", () => {
  it("assigning a const throws a TypeError, also from a closure and with ++ (class 2)", async () => {
    const out = await check(`async () => {
      ${caught}
      const c = 1; const set = () => { c = 3; };
      await step.run("a", () => 1);
      const out = [caught(() => { c = 2; }), caught(set), caught(() => c++), caught(() => { c += 1; })];
      await step.run("b", () => 2);
      out.push(c);
      return Response.json(out);
    }`);
    expect(out).toEqual(["TypeError", "TypeError", "TypeError", "TypeError", 1]);
  });

  it("assigning a const through destructuring or a for…of/for…in head throws a TypeError, after what it reads", async () => {
    const out = await check(`async () => {
      ${caught}
      const log = [];
      const c = 1, d = 2;
      const items = () => ({ *[Symbol.iterator]() { try { log.push("next"); yield 5; } finally { log.push("closed"); } } });
      await step.run("a", () => 1);
      const out = [
        caught(() => { [c] = items(); }),
        caught(() => { ({ d } = { get d() { log.push("get"); return 6; } }); }),
        caught(() => { [c = 9] = []; }),
        caught(() => { for (c of [7]) log.push("body"); }),
        caught(() => { for (d in { k: 1 }) log.push("body"); }),
      ];
      try { for (c of [8]) await step.run("body", () => log.push("awaited")); } catch (e) { out.push(e.constructor.name); }
      try { [d = await step.run("dflt", () => 3)] = []; } catch (e) { out.push(e.constructor.name); }
      await step.run("b", () => 2);
      out.push(c, d, log);
      return Response.json(out);
    }`);
    expect(out).toEqual(["TypeError", "TypeError", "TypeError", "TypeError", "TypeError", "TypeError", "TypeError", 1, 2, ["next", "closed", "get"]]);
  });

  it("reading a let or const before its declaration throws a ReferenceError, in every loop iteration (class 3)", async () => {
    const out = await check(`async () => {
      const out = [];
      await step.run("a", () => 1);
      try { out.push(x); } catch (e) { out.push(e.constructor.name); }
      let x = 1;
      try { out.push(typeof y); } catch (e) { out.push(e.constructor.name + " " + e.message); }
      const y = 2;
      for (let i = 0; i < 2; i++) {
        await step.run("l", () => i);
        try { out.push(z); } catch (e) { out.push(e.constructor.name); }
        let z = i;
        out.push(z);
      }
      out.push(x, y);
      return Response.json(out);
    }`);
    expect(out).toEqual(["ReferenceError", "ReferenceError Cannot access 'y' before initialization", "ReferenceError", 0, "ReferenceError", 1, 1, 2]);
  });

  it("a closure or function declaration reading a let, const or class before its declaration ran throws a ReferenceError (dynamic TDZ)", async () => {
    const out = await check(`async () => {
      ${caught}
      const out = [];
      const g = () => y;
      const setY = () => { y = 5; };
      function h() { return typeof k; }
      const make = () => new C().constructor.name;
      out.push(caught(g), caught(setY), caught(h), caught(make));
      await step.run("a", () => 1);
      out.push(caught(g), caught(h));
      let y = 1;
      const k = 2;
      class C {}
      await step.run("b", () => 2);
      out.push(g(), h(), caught(make));
      setY();
      out.push(y);
      for (let i = 0; i < 2; i++) {
        const r = () => z;
        out.push(caught(r));
        await step.run("l", () => i);
        let z = i;
        out.push(r());
      }
      return Response.json(out);
    }`);
    expect(out).toEqual(["ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError", 1, "number", "C", 5, "ReferenceError", 0, "ReferenceError", 1]);
  });

  it("a top-level const function read before its declaration ran throws a ReferenceError: made at the top of resume, its TDZ kept", async () => {
    const out = await check(`async () => {
      ${caught}
      let n = 1;
      const out = [caught(() => f()), caught(() => typeof f), caught(() => k())];
      await step.run("a", () => 1);
      out.push(caught(() => f()), caught(() => k()));
      const f = () => n;
      n = 2;
      function k() { return f() + 10; }
      out.push(f(), k(), f.name);
      await step.run("b", () => 2);
      n = 3;
      out.push(f(), k(), f.name);
      return Response.json(out);
    }`);
    expect(out).toEqual(["ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError", 2, 12, "f", 3, 13, "f"]);
  });

  it("a const function in a loop body read before its declaration throws a ReferenceError in every iteration, and keeps its name", async () => {
    const out = await check(`async () => {
      ${caught}
      const out = [];
      for (let i = 0; i < 3; i++) {
        out.push(caught(() => k()));
        await step.run("a", () => i);
        const f = () => i;
        const g = () => i * 10;
        function k() { return f(); }
        out.push(k(), f.name, g(), g.name);
      }
      return Response.json(out);
    }`);
    expect(out).toEqual(["ReferenceError", 0, "f", 0, "g", "ReferenceError", 1, "f", 10, "g", "ReferenceError", 2, "f", 20, "g"]);
  });

  it("a checked read copied by the lowering keeps its check: a logical assignment through a member, a switch discriminant", async () => {
    const out = await check(`async () => {
      const out = [];
      const q = {};
      await step.run("a", () => 1);
      for (const c of [1, 2, 3, 4]) {
        switch (c) {
          case 0: let o = {};
          default:
            try {
              if (c === 1) o.p ||= await step.run("v1", () => 1);
              if (c === 2) q[o] ??= await step.run("v2", () => 2);
              if (c === 3) out.push((o = await step.run("v3", () => 3)) && o);
              if (c === 4) switch (o) { case await step.run("v4", () => 4): out.push("case"); }
              out.push("no throw");
            } catch (e) { out.push(e.constructor.name); }
        }
      }
      return Response.json(out);
    }`);
    expect(out).toEqual(["ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError"]);
  });

  it("a function declaration whose name is assigned keeps the assigned value across a resume (not re-created over it)", async () => {
    const out = await check(`async () => {
      const out = [typeof g, g(), dup()];
      await step.run("a", () => 1);
      var g = 1;
      var h;
      await step.run("b", () => 2);
      out.push(g, typeof later, h(), dup());
      function g() { return "made"; }
      function later() {}
      function h() { return "h"; }
      function dup() { return 1; }
      function dup() { return 2; }
      return Response.json(out);
    }`);
    // a redeclaration without a value (`var h;`, a second `function dup`) assigns nothing: still re-created
    expect(out).toEqual(["function", "made", 2, 1, "function", "h", 2]);
  });

  it("assigning a let or const before its declaration throws a ReferenceError, after evaluating the value", async () => {
    const out = await check(`async () => {
      const out = [];
      await step.run("a", () => 1);
      try { x = out.push("value"); } catch (e) { out.push(e.constructor.name + " " + e.message); }
      try { [x] = [out.push("element")]; } catch (e) { out.push(e.constructor.name); }
      try { x++; } catch (e) { out.push(e.constructor.name); }
      const setK = () => { k = 1; };
      try { k = out.push("const"); } catch (e) { out.push(e.constructor.name); }
      try { setK(); } catch (e) { out.push(e.constructor.name); }
      let x;
      const k = 0;
      try { setK(); } catch (e) { out.push(e.constructor.name); }
      await step.run("b", () => 2);
      x = 3;
      out.push(x);
      return Response.json(out);
    }`);
    expect(out).toEqual(["value", "ReferenceError Cannot access 'x' before initialization", "element", "ReferenceError", "ReferenceError", "const", "ReferenceError", "ReferenceError", "TypeError", 3]);
  });

  it("a switch case reading a let declared in an earlier case it jumped over throws a ReferenceError", async () => {
    const out = await check(`async () => {
      const out = [];
      for (const k of [1, 0, 1]) {
        switch (k) {
          case 0:
            let q = await step.run("q", () => 7);
            const r = () => q;
            out.push(r());
          case 1:
            try { out.push(q); } catch (e) { out.push(e.constructor.name); }
            try { q = 2; out.push(q); } catch (e) { out.push(e.constructor.name); }
        }
      }
      return Response.json(out);
    }`);
    expect(out).toEqual(["ReferenceError", "ReferenceError", 7, 7, 2, "ReferenceError", "ReferenceError"]);
  });

  it("a let declared in a loop body starts undefined in every iteration (class 4)", async () => {
    const out = await check(`async () => {
      const out = [];
      for (let i = 0; i < 3; i++) { await step.run("s", () => i); let y; out.push(String(y)); y = i; }
      let n = 0;
      while (n < 2) { let w; if (n > 0) w = await step.run("w", () => n); out.push(String(w)); n++; }
      return Response.json(out);
    }`);
    expect(out).toEqual(["undefined", "undefined", "undefined", "undefined", "1"]);
  });

  it("a local function called or used as a tag through its saved name does not get the locals object as this (classes 5, 15)", async () => {
    const out = await check(`async () => {
      const plain = function () { return this === undefined || this === globalThis; };
      var f = plain; let g = plain, tag = plain;
      await null;
      const out = [f(), g(), tag\`x\`, f?.(), (f)()];
      await step.run("a", () => 1);
      return Response.json(out);
    }`);
    expect(out).toEqual([true, true, true, true, true]);
  });

  it("a default-parameter closure sees the outer binding, not the body's var (class 7)", async () => {
    const out = await check(`async () => {
      var x = "outside";
      await step.run("a", () => 1);
      function f(g = () => x) { var x = "inside"; return g(); }
      const h = (g = () => x) => { var x = "inside"; return g(); };
      return Response.json([f(), h(), x]);
    }`);
    expect(out).toEqual(["outside", "outside", "outside"]);
  });

  it("catch-clause patterns with closures (class 7)", async () => {
    const out = await check(`async () => {
      const out = [];
      await step.run("a", () => 1);
      try { throw { a: 1 }; } catch ({ a, b = () => a }) { out.push(b()); await step.run("b", () => 2); out.push(a); }
      let e = "outer";
      try { throw "inner"; } catch (e) { const f = () => e; out.push(f()); await step.run("c", () => 3); out.push(e); }
      out.push(e);
      return Response.json(out);
    }`);
    expect(out).toEqual([1, 1, "inner", "inner", "outer"]);
  });

  it("a closure in a catch clause's pattern sees the clause's binding when it shadows a handler local (class 7)", async () => {
    const out = await check(`async () => {
      var x = "outside", probe;
      await step.run("a", () => 1);
      try { throw ["inside"]; } catch ([x, _ = probe = () => x]) {}
      let y = "outside", before;
      try { throw []; } catch ([_ = before = () => y]) { let y = "block"; }
      const seen = [probe(), before()];
      await step.run("b", () => 2);
      return Response.json([x, seen]);
    }`);
    expect(out).toEqual(["outside", ["inside", "outside"]]);
  });

  it("a local named like a parameter of a nested function is saved (class 12)", async () => {
    const out = await check(`async () => {
      let i = 7;
      await step.sleep("z", "5ms");
      const r = [String(i), g(1)];
      await step.run("a", () => 1);
      return Response.json([...r, String(i)]);
      function f(i) {}
      function g(i) { return i; }
    }`);
    expect(out).toEqual(["7", 1, "7"]);
  });

  it("this at the top of an arrow handler is the enclosing this, not the machine (class 15)", async () => {
    const out = await check(`async () => {
      await null;
      const out = [this === undefined || this === globalThis, (() => this)() === this];
      await step.run("a", () => 1);
      return Response.json(out);
    }`);
    expect(out).toEqual([true, true]);
  });

  it("new.target in an arrow handler is the enclosing function's (class 15)", async () => {
    const loaded = load(`import { step } from "inngest";\nfunction make() {\n  return inngest.endpoint(async () => {\n    await null;\n    const made = new.target === undefined ? "called" : "constructed";\n    await step.run("a", () => 1);\n    return new Response(made);\n  });\n}\nexport const handler = new make();\n`, "/app/src/handler.js");
    const { plain } = await expectEquivalent(loaded);
    expect(plain.body).toBe("constructed");
  });

  it("a switch discriminant and a case declaration are different scopes (class 16)", async () => {
    const out = await check(`async () => {
      ${caught}
      let x = "outer", p;
      await step.run("a", () => 1);
      switch (p = () => x, 1) { case 1: let x = "case"; await null; }
      const out = [p(), caught(() => { switch (1) { case 0: let q = 1; case 1: return q; } })];
      await step.run("b", () => 2);
      return Response.json(out);
    }`);
    expect(out).toEqual(["outer", "ReferenceError"]);
  });
});
