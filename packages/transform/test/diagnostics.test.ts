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
