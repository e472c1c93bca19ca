/** Every unsupported construct gets a diagnostic with a stable code, position, fix and code frame — and no output. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkDiagnostics, CompileError, formatDiagnostic, mayContainEndpoint, transform, type Diagnostic } from "../src/index.js";

const compile = (handler: string, prelude = "") =>
  transform(`import { step } from "inngest";\n${prelude}export const handler = inngest.endpoint(${handler});\n`, { filename: "/app/h.ts", root: "/app" });

const only = (handler: string, prelude = "") => {
  const result = compile(handler, prelude);
  expect(result.diagnostics).toHaveLength(1);
  return { ...result.diagnostics[0]!, result };
};

describe("diagnostics", () => {
  it("DE1005: a step in a callback nothing awaits — position, message, fix, frame; code left unchanged", () => {
    const source = `async (req) => {
  const ids = ["a", "b"];
  ids.forEach(async (id) => { await step.run("x-" + id, () => id); });
  return new Response("ok");
}`;
    const d = only(source);
    expect(d).toMatchObject({ code: "DE1005", severity: "error", line: 4, column: 36 });
    expect(d.message).toContain("`step.run` runs inside a callback that nothing awaits");
    expect(d.message).toContain("Fix: await the steps");
    expect(d.frame).toContain(`> 4 |   ids.forEach(async (id) => { await step.run("x-" + id, () => id); });`);
    expect(d.frame).toMatch(/\|\s+\^/);
    expect(d.result.code).toContain("ids.forEach"); // untouched
    expect(d.result.code).not.toContain("durable: 1");
  });

  it("DE1012: a step promise kept in a local, or never awaited", () => {
    const result = compile(`async () => {
  const a = step.run("a", () => 1);
  step.sleep("nap", "1s");
  const [x] = await Promise.all([a]);
  return Response.json(x);
}`);
    expect(result.diagnostics).toMatchObject([
      { code: "DE1012", line: 3, column: 12 },
      { code: "DE1012", line: 4, column: 2 },
    ]);
    expect(result.diagnostics[0]!.message).toContain("`step.run(…)` must be awaited where it is called");
  });

  it("DE1005: a list of step promises built by a callback", () => {
    const result = compile(`async () => {
  const all = ["a", "b"].map((id) => step.run(id, () => id));
  return Response.json(await Promise.all(all));
}`);
    expect(result.diagnostics).toMatchObject([{ code: "DE1005", line: 3 }]);
  });

  it("awaited callbacks are fine: Promise.all over map, and helpers declared in the handler", () => {
    const result = compile(`async () => {
  const all = await Promise.all(["a"].map((id) => step.run(id, () => id)));
  const helper = async () => step.run("h", () => 1);
  return Response.json([all, await helper()]);
}`);
    expect(result.diagnostics).toEqual([]);
  });

  it.each([
    ["DE1001", "generator handler", `async function* (req) { yield 1; }`, 2],
    ["DE1002", "with", `async function (req) { with (req) { await step.run("a", () => 1); } return new Response(""); }`, 2],
    ["DE1003", "direct eval", `async (req) => { eval("1"); return new Response(""); }`, 2],
    ["DE1004", "arguments", `async function (req) { const a = arguments[0]; return new Response(a); }`, 2],
    ["DE1006", "for await", `async (req) => { for await (const x of req.body) {} return new Response(""); }`, 2],
    ["DE1009", "await after ?.", `async (req) => { const a = req?.foo(await step.run("a", () => 1)); return new Response(a); }`, 2],
    ["DE1010", "this in a function handler", `async function (req) { this.x = await step.run("a", () => 1); return new Response(""); }`, 2],
  ])("%s: %s", (code, _what, handler, line) => {
    const result = compile(handler);
    const d = result.diagnostics.find((x) => x.code === code);
    expect(d, JSON.stringify(result.diagnostics)).toBeDefined();
    expect(d!.line).toBe(line);
    expect(d!.message).toContain("Fix:");
    expect(d!.frame).toContain(`> ${line} |`);
    expect(result.code).not.toContain("durable: 1");
  });

  it("DE1009: await inside JSX (a .tsx module)", () => {
    const result = transform(`import { step } from "inngest";\nexport const h = inngest.endpoint(async () => {\n  const el = <b>{await step.run("a", () => 1)}</b>;\n  return new Response(String(el));\n});\n`, { filename: "/app/h.tsx" });
    expect(result.diagnostics).toMatchObject([{ code: "DE1009", line: 3, column: 13 }]);
    expect(result.diagnostics[0]!.message).toContain("inside JSX");
  });

  it("DE1007 (warning): a class instance live across a step that cannot be re-created on resume", () => {
    const result = compile(`async () => {
  const conn = new Connection();
  conn.name = "changed";
  await step.run("a", () => 1);
  return new Response(conn.name);
}`, "class Connection { name = 'c'; }\n");
    expect(result.diagnostics).toMatchObject([{ code: "DE1007", severity: "warning", line: 4 }]);
    expect(result.diagnostics[0]!.message).toContain("`conn` holds an instance of class `Connection`");
    expect(result.diagnostics[0]!.message).toContain("because it is changed after it is created (line 5)");
    expect(result.code).toContain("durable: 1"); // a warning still compiles
    expect(result.endpoints[0]!.recreate).toEqual({});
  });

  it("DE1007 names each reason a class instance cannot be re-created", () => {
    const reasons: [string, string][] = [
      ["let conn = new Connection(); conn = new Connection();", "because it is reassigned"],
      ["const read = () => conn; await step.run(\"k\", () => 1); read(); var conn = new Connection();", "because it may be read before its declaration has run"],
      ["let n = 1; n++; const conn = new Connection(n);", "because its initializer uses `n`, which is reassigned"],
      ["const o = { n: 1 }; const conn = new Connection(o); o.n = 2;", "because its initializer uses `o`, which is changed on line 4"],
      ["let n = 1; function make() { return new Connection(n++); } const conn = new Connection(make());", "because its initializer uses `n`, which is reassigned"],
      ["const conn = new Connection(await step.run(\"k\", () => 1));", "because its initializer awaits"],
    ];
    for (const [declaration, reason] of reasons) {
      const result = compile(`async () => {\n  ${declaration}\n  await step.run("a", () => 1);\n  return new Response(conn.name);\n}`, "class Connection { name = 'c'; }\n");
      expect(result.diagnostics.map((d) => d.code), declaration).toEqual(["DE1007"]);
      expect(result.diagnostics[0]!.message, declaration).toContain(reason);
    }
  });

  it("a local used between its creation and an await where it is live is not re-created (a resumed run would not redo the use)", () => {
    const used = compile(`async () => {
  const conn = new Connection();
  conn.open();
  await step.run("a", () => conn.name);
  return new Response(conn.name);
}`, "class Connection { name = 'c'; open() { this.name = 'open'; } }\n");
    expect(used.diagnostics).toMatchObject([{ code: "DE1007", line: 4 }]);
    expect(used.diagnostics[0]!.message).toContain("because it is used on line 5 before the await on line 6, which a resumed run does not do again");
    expect(used.endpoints[0]!.recreate).toEqual({});

    // through a function that reads it (test262's var-ary-ptrn-rest-id-iter-close), and in an earlier iteration
    const throughFunction = compile(`async () => {
  const iter = gen();
  function fn() { for (const x of iter) return; }
  fn();
  await step.run("a", () => 1);
  return new Response(String(iter.next().done));
}`, "function* gen() { yield; yield; }\n");
    expect(throughFunction.endpoints[0]!.recreate).toEqual({});
    const earlierIteration = compile(`async () => {
  const conn = new Connection();
  for (const id of [1, 2]) {
    await step.run("a", () => conn.name);
    conn.open();
  }
  return new Response(conn.name);
}`, "class Connection { name = 'c'; open() { this.name = 'open'; } }\n");
    expect(earlierIteration.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining("because it is used on line 7 before the await on line 6")]);

    // a use after the last await where it is live, in a step callback, or by the next iteration's own const is fine
    const fine = compile(`async () => {
  const conn = new Connection();
  const name = await step.run("a", () => conn.open() ?? conn.name);
  for (const id of [1, 2]) {
    const each = new Connection();
    await step.run("b", () => each.name);
    each.open();
  }
  return new Response(conn.name + name);
}`, "class Connection { name = 'c'; open() { this.name = 'open'; } }\n");
    expect(fine.diagnostics).toEqual([]);
    expect(Object.keys(fine.endpoints[0]!.recreate)).toEqual(["conn", "each"]);
  });

  it("a class instance that can be re-created gets no warning: it is re-created where the checkpoint could not save it", () => {
    const result = compile(`async (req) => {
  const key = req.headers.get("x-key");
  const conn = new Connection(key);
  await step.run("a", () => 1);
  return new Response(conn.name);
}`, "class Connection { name = 'c'; constructor(key) {} }\n");
    expect(result.diagnostics).toEqual([]);
    expect(result.endpoints[0]!.recreate).toEqual({ key: [], conn: ["key"] });
    expect(result.endpoints[0]!.live).toEqual({ 1: ["conn"] }); // `key` is saved only when `conn` cannot be
    expect(result.code).toMatch(/if \(!\("conn" in L\) && \$\.state === 1\) L\.conn = new Connection\(L\.key\);/);
    // `key` is made again too where `conn` is missing, and only there
    expect(result.code).toMatch(/if \(!\("key" in L\) && \$\.state === 1 && !\("conn" in L\)\) L\.key = req\.headers\.get\("x-key"\);/);
  });

  it("DE1015 (warning): a local made by a call is changed after it is created, so it is saved instead of re-created", () => {
    const result = compile(`async () => {
  const client = makeClient();
  client.token = "t";
  client.stats.calls++;
  await step.run("a", () => 1);
  return new Response(client.token);
}`, "function makeClient() { return { token: '', stats: { calls: 0 }, get() {} }; }\n");
    expect(result.diagnostics).toMatchObject([{ code: "DE1015", severity: "warning", line: 5 }]);
    expect(result.diagnostics[0]!.message).toContain("`client` is made by a call and used after an await, but a resumed run cannot make it again from its initializer: it is changed after it is created (line 5)");
    expect(result.endpoints[0]!.recreate).toEqual({});
    expect(result.endpoints[0]!.live).toEqual({ 1: ["client"] });

    const input = compile(`async () => {
  const options = { retries: 1 };
  const client = makeClient(options);
  options.retries = 2;
  await step.run("a", () => 1);
  return new Response(client.token);
}`, "function makeClient() { return { token: '', get() {} }; }\n");
    expect(input.diagnostics).toMatchObject([{ code: "DE1015", severity: "warning", line: 6 }]);
    expect(input.diagnostics[0]!.message).toContain("its initializer uses `options`, which is changed on line 6");
  });

  it("DE1013 (warning): a class with static initialisers used after a step is created again on resume", () => {
    const result = compile(`async () => {
  class Registry { static made = Date.now(); static get() { return Registry.made; } }
  class Plain { twice(n) { return n * 2; } }
  const n = await step.run("a", () => 1);
  return Response.json([Registry.get(), new Plain().twice(n)]);
}`);
    expect(result.diagnostics).toMatchObject([{ code: "DE1013", severity: "warning", line: 3 }]);
    expect(result.diagnostics[0]!.message).toContain("Class `Registry` is used after the await on line 5");
    expect(result.code).toMatch(/if \(\$\.state === \d+\) Registry = class Registry/);
  });

  it("DE1014 (warning): properties of a handler's function declaration, re-created on resume", () => {
    const result = compile(`async (req) => {\n  function counter() { counter.calls++; }\n  counter.calls = 0;\n  await step.run("a", () => 1);\n  counter();\n  return new Response(String(counter.calls));\n}`);
    expect(result.diagnostics).toMatchObject([
      { code: "DE1014", severity: "warning", line: 3 },
      { code: "DE1014", severity: "warning", line: 4 },
    ]);
  });

  it("DE1014 (warning): a class, a `const` function or a function's prototype changed — also through Object.defineProperty / setPrototypeOf", () => {
    const result = compile(`async () => {
  function F() {}
  F.prototype = { kind: "f" };
  class B {}
  B.prototype.x = 42;
  class C { static m() { return 1; } }
  Object.setPrototypeOf(C, null);
  const f = () => 1;
  Object.defineProperty(f, "tag", { value: "t" });
  (f as any).count = 0;
  await step.sleep("nap", "1s");
  F.after = 1;
  return Response.json([new F().kind, new B().x, C.m(), f.tag]);
}`);
    expect(result.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ["DE1014", 4, 2],
      ["DE1014", 6, 2],
      ["DE1014", 8, 2],
      ["DE1014", 10, 2],
      ["DE1014", 11, 2],
    ]);
    expect(result.diagnostics[1]!.message).toContain("`B` is a class of the handler that is changed after it is created");
    expect(result.diagnostics[3]!.message).toContain("`f` is a function of the handler");
    expect(result.diagnostics[2]!.frame).toMatch(/> +8 \|   Object\.setPrototypeOf\(C, null\);\n +\| +\^/);
  });

  it("DE1013 (warning): a derived class with private elements, re-created on resume, does not recognise objects it marked", () => {
    const result = compile(
      `async () => {
  class Marked extends Base { #v = 1; static has(o) { return #v in o; } }
  class Own { #v = 1; get() { return this.#v; } }
  const o = new Marked({});
  await step.sleep("nap", "1s");
  return Response.json([Marked.has(o), new Own().get()]);
}`,
      "class Base { constructor(o) { return o; } }\n",
    );
    expect(result.diagnostics).toMatchObject([{ code: "DE1013", severity: "warning", line: 4 }]);
    expect(result.diagnostics[0]!.message).toContain("a new class with new private names");
  });

  describe("DE1016 (warning): global state changed before an await", () => {
    it("a write through a global reference or the handler's top-level `this`, located at the write", () => {
      const result = compile(`async () => {
  Array.prototype.last = function () { return this[this.length - 1]; };
  JSON.stringify = () => "";
  delete Array.prototype[Symbol.iterator];
  globalThis.counter = 1;
  globalThis.counter++;
  globalThis.total ??= 0;
  this.x = 1;
  [globalThis.a] = [1];
  Object.defineProperty(globalThis, "y", { value: 1 });
  Object.defineProperties(this, { z: { value: 1 } });
  Reflect.deleteProperty(Math, "max");
  Object.freeze(Object.prototype);
  (globalThis as any).typed = 1;
  await step.sleep("nap", "1s");
  return new Response("ok");
}`);
      expect(result.diagnostics.map((d) => [d.code, d.severity, d.line, d.column])).toEqual(
        [[3, 2], [4, 2], [5, 2], [6, 2], [7, 2], [8, 2], [9, 2], [10, 2], [11, 2], [12, 2], [13, 2], [14, 2], [15, 2]].map(([line, column]) => ["DE1016", "warning", line, column]),
      );
      const [prototype, , deleted, , , , self] = result.diagnostics;
      expect(prototype!.message).toContain("This changes `Array.prototype.last`, reached from the global `Array`");
      expect(prototype!.message).toContain("a run resumed at the await on line 16 or later runs in a new process where the change was never made");
      expect(prototype!.message).toContain("Fix: make the change at module level");
      expect(prototype!.frame).toContain("> 3 |   Array.prototype.last = function () {");
      expect(deleted!.message).toContain("`Array.prototype[…]`");
      expect(self!.message).toContain("`this.x` (an arrow handler's `this` is the module's");
      expect(result.code).toContain("durable: 1"); // a warning: still compiled
    });

    it("in a step callback, a nested function, or a loop that awaits: the change comes before an await", () => {
      const result = compile(`async () => {
  await step.run("setup", () => { globalThis.ready = true; });
  const install = () => { Array.prototype.sum = function () { return 0; }; };
  install();
  for (const id of ["a", "b"]) {
    globalThis.current = id;
    await step.run(id, () => id);
  }
  while (true) {
    await step.sleep("tick", "1s");
    globalThis.ticks = (globalThis.ticks ?? 0) + 1;
    if (globalThis.ticks > 2) break;
  }
  await step.sleep("end", "1s");
  return new Response("ok");
}`);
      expect(result.diagnostics.map((d) => [d.code, d.line])).toEqual([
        ["DE1016", 3],
        ["DE1016", 4],
        ["DE1016", 7],
        ["DE1016", 12],
      ]);
    });

    it("no warning: reading globals, locals, module state, a local shadowing a global, a change after the last await", () => {
      const result = compile(
        `async (req) => {
  console.log(JSON.stringify({ a: 1 }), Math.max(1, 2), typeof globalThis.fetch, Array.prototype.slice.call([1]));
  const o = { n: 0 };
  o.x = 1;
  o.n++;
  delete o.x;
  Object.defineProperty(o, "y", { value: 1 });
  Object.assign({}, Array.prototype);
  state.count++;
  state.list.push(1);
  config.mode = "fast";
  const JSON = { stringify: null };
  JSON.stringify = () => "";
  const params = new URL(req.url).searchParams;
  function first() { arguments[0] = 1; return arguments[0]; }
  module.exports.ready = first(0);
  await step.sleep("nap", "1s");
  globalThis.done = true;
  delete Array.prototype.last;
  return Response.json([o, state, config, JSON.stringify, params.get("a"), first(2)]);
}`,
        "const state = { count: 0, list: [] };\nlet config = { mode: 'slow' };\n",
      );
      expect(result.diagnostics).toEqual([]);
    });

    it("no warning in a handler without an await", () => {
      expect(compile(`async () => {\n  globalThis.count = 1;\n  return new Response("ok");\n}`).diagnostics).toEqual([]);
    });

    it("a warning, not an error: the host passes it on", () => {
      const { diagnostics } = compile(`async () => {\n  globalThis.count = 1;\n  await step.sleep("nap", "1s");\n  return new Response("ok");\n}`);
      const warned: Diagnostic[] = [];
      expect(checkDiagnostics(diagnostics, "src/h.ts", (d) => warned.push(d))).toBeNull();
      expect(formatDiagnostic(warned[0]!, "src/h.ts")).toMatch(/^src\/h\.ts:3:3: warning DE1016: This changes `globalThis\.count`, reached from the global `globalThis`[^]*> 3 \|   globalThis\.count = 1;/);
    });
  });

  it("DE1008 (warning): a handler identifier that is not a function of this module", () => {
    const result = transform(`import { step } from "inngest";\nimport { h } from "./elsewhere";\nexport const handler = inngest.endpoint(h);\n`, { filename: "/app/h.ts" });
    expect(result.diagnostics).toMatchObject([{ code: "DE1008", severity: "warning", line: 3, column: 40 }]);
  });

  it("DE1000: a syntax error is a diagnostic, not an exception", () => {
    const result = transform(`import { step } from "inngest";\nexport const handler = inngest.endpoint(async (req) => {\n  const = 1;\n});\n`, { filename: "/app/h.ts" });
    expect(result.diagnostics).toMatchObject([{ code: "DE1000", severity: "error", line: 3 }]);
    expect(result.diagnostics[0]!.frame).toContain("> 3 |   const = 1;");
  });

  it("a module that imports no import source is not parsed: its syntax error is left to the bundler", () => {
    const code = `import { api } from "other-lib";\nexport const handler = api.endpoint(async (req) => {\n  const = 1;\n});\n`;
    expect(transform(code, { filename: "/app/h.ts" })).toEqual({ code, map: null, endpoints: [], diagnostics: [] });
    // named in the module, an import source is parsed again (single quotes too)
    expect(transform(code.replace(`"other-lib"`, `'inngest'`), { filename: "/app/h.ts" }).diagnostics).toMatchObject([{ code: "DE1000" }]);
  });
});

describe("DE1017 (warning): a promise's callbacks left pending before a later await", () => {
  it("a .then chain, and a call of an async function of the handler, before an await — with a code frame", () => {
    const result = compile(`async () => {
  const seen = [];
  async function notify(x) { await null; seen.push(x); }
  Promise.resolve(1).then((v) => seen.push(v)).catch(() => {});
  notify("a");
  await step.run("a", () => 1);
  return Response.json(seen);
}`);
    expect(result.diagnostics).toMatchObject([
      { code: "DE1017", severity: "warning", line: 5, column: 2 },
      { code: "DE1017", severity: "warning", line: 6, column: 2 },
    ]);
    const [chain, call] = result.diagnostics;
    expect(chain!.message).toContain("`….catch(…)` is not awaited, and the handler awaits after it: its callbacks are lost if the run resumes after a later await");
    expect(chain!.message).toContain("Fix: await it");
    expect(chain!.frame).toContain("> 5 |   Promise.resolve(1).then((v) => seen.push(v)).catch(() => {});");
    expect(call!.message).toContain("`notify(…)`, a call of an async function, is not awaited");
    expect(result.code).toContain("durable: 1"); // a warning: compiled
  });

  it("in a loop whose await comes before it in the source: the next iteration awaits after it", () => {
    const result = compile(`async () => {
  for (const id of ["a", "b"]) {
    await step.run(id, () => id);
    fetch("https://x.test/" + id).then((r) => r.text());
  }
  return new Response("ok");
}`);
    expect(result.diagnostics).toMatchObject([{ code: "DE1017", line: 5 }]);
  });

  it("not for: an awaited or returned promise, void, Promise.all awaited, a step's promise (DE1012), nothing awaited after, nested functions", () => {
    const result = compile(`async () => {
  const log = async (x) => { await null; return x; };
  await Promise.resolve(1).then((v) => v);
  await log("awaited");
  void fetch("https://x.test/ping").then(() => {});
  await Promise.all([log("a"), log("b")]);
  ["x"].forEach((x) => { log(x).then(() => {}); });
  const later = () => Promise.resolve().then(() => {});
  await step.run("s", () => 1);
  Promise.resolve().then(() => {});
  log("last");
  return Response.json(await later());
}`);
    // the last two are followed by an await (\`await later()\`): reported; everything above them is not
    expect(result.diagnostics).toMatchObject([{ code: "DE1017", line: 11 }, { code: "DE1017", line: 12 }]);
    const steps = compile(`async () => {
  step.run("a", () => 1).then(() => {});
  await step.run("b", () => 2);
  return new Response("ok");
}`);
    expect(steps.diagnostics.map((d) => d.code)).toEqual(["DE1012"]);
    const last = compile(`async () => {
  await step.run("a", () => 1);
  Promise.resolve().then(() => {});
  return new Response("ok");
}`);
    expect(last.diagnostics).toEqual([]);
  });
});

describe("the catalogue", () => {
  const catalogue = readFileSync(new URL("../src/diagnostics.ts", import.meta.url), "utf8");
  const codes = [...catalogue.matchAll(/"(DE\d{4})"/g)].map((m) => m[1]!);

  it("lists each code once, in order", () => {
    expect(codes.length).toBeGreaterThan(10);
    expect(codes).toEqual([...new Set(codes)].sort());
  });

  it("every code is documented in the README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const code of codes) expect(readme, code).toContain(`| ${code}`);
  });
});

describe("what hosts do with diagnostics", () => {
  const { diagnostics } = compile(
    `async () => {\n  const conn = new Connection(); conn.name = "d";\n  await step.run("a", () => 1);\n  eval("x");\n  with (conn) {}\n  return new Response(conn.name);\n}`,
    "class Connection { name = 'c'; }\n",
  );

  it("formats file:line:column: severity code: message, then the code frame", () => {
    const error = diagnostics.find((d) => d.code === "DE1003")!;
    expect(formatDiagnostic(error, "src/h.ts")).toMatch(/^src\/h\.ts:6:3: error DE1003: Direct `eval` .* Fix: .*\n.*> 6 \|   eval\("x"\);/s);
    expect(formatDiagnostic(error)).toMatch(/^error DE1003: Direct `eval`/);
  });

  it("passes each warning on, and fails with every error at once", () => {
    const warned: Diagnostic[] = [];
    const error = checkDiagnostics(diagnostics, "src/h.ts", (d) => warned.push(d));
    expect(warned.map((d) => d.code)).toEqual(["DE1007"]);
    expect(error).toBeInstanceOf(CompileError);
    expect(error!.errors.map((d) => d.code).sort()).toEqual(["DE1002", "DE1003"]);
    expect(error!.message).toMatch(/src\/h\.ts:\d+:\d+: error DE100[23][^]*\n\nsrc\/h\.ts:\d+:\d+: error DE100[23]/);
    expect(checkDiagnostics(diagnostics.filter((d) => d.severity === "warning"), "src/h.ts", () => {})).toBeNull();
  });

  it("mayContainEndpoint is a cheap text check", () => {
    expect(mayContainEndpoint(`inngest.endpoint(async () => new Response(""))`)).toBe(true);
    expect(mayContainEndpoint(`export const x = 1;`)).toBe(false);
  });
});
