/** Every unsupported construct gets a diagnostic with a stable code, position, fix and code frame — and no output. */
import { describe, expect, it } from "vitest";
import { transform } from "../src/index.js";

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

  it("DE1007 (warning): a class instance live across a step", () => {
    const result = compile(`async () => {
  const conn = new Connection();
  await step.run("a", () => 1);
  return new Response(conn.name);
}`, "class Connection { name = 'c'; }\n");
    expect(result.diagnostics).toMatchObject([{ code: "DE1007", severity: "warning", line: 4 }]);
    expect(result.diagnostics[0]!.message).toContain("`conn` holds an instance of class `Connection`");
    expect(result.code).toContain("durable: 1"); // a warning still compiles
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
});
