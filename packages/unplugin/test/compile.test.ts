import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import { describe, expect, it } from "vitest";
import { compileModule } from "../src/compile.js";
import { resolveSettings } from "../src/settings.js";

const ENDPOINTS = fileURLToPath(new URL("../../../examples/shared/src/endpoints.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../examples/shared/", import.meta.url));

describe("compileModule", () => {
  const settings = resolveSettings({ alias: true }, ROOT);

  it("compiles endpoints, rewrites the seed's imports and maps back to the source", () => {
    const code = readFileSync(ENDPOINTS, "utf8");
    const result = compileModule(code, ENDPOINTS, settings)!;
    expect(result.diagnostics).toEqual([]);
    expect(result.code).toContain(`from "@durable-endpoints/runtime"`);
    expect(result.code).toContain(`"src/endpoints.ts#checkout"`);

    // The TRACE-MARKER statement in the output maps back to its line in the source.
    const marker = code.split("\n").findIndex((l) => l.includes("TRACE-MARKER")) + 1;
    const outLines = result.code.split("\n");
    const outLine = outLines.findIndex((l) => l.includes("new Error(`trace ")) + 1;
    const column = outLines[outLine - 1]!.indexOf("new Error");
    const traced = originalPositionFor(new TraceMap(result.map as never), { line: outLine, column });
    expect(traced.line).toBe(marker);
    expect(result.map!.sourcesContent).toEqual([code]);
  });

  it("leaves modules without endpoints or aliased imports untouched", () => {
    expect(compileModule(`export const x = 1;`, "/app/x.ts", settings)).toBeNull();
  });

  it("only rewrites imports when a module has no endpoint", () => {
    const result = compileModule(`import { Inngest } from "inngest";\nexport const c = new Inngest({ id: "x" });\n`, "/app/c.ts", settings)!;
    expect(result.code).toBe(`import { Inngest } from "@durable-endpoints/runtime";\nexport const c = new Inngest({ id: "x" });\n`);
  });

  it("returns the compile errors with their position and leaves the code as it was", () => {
    const code = `import { Inngest, step } from "inngest";\nconst inngest = new Inngest({ id: "x" });\nexport const h = inngest.endpoint(async function (req: Request) {\n  await step.run("a", () => 1);\n  with (req) {}\n  return new Response(String(arguments.length));\n});\n`;
    const result = compileModule(code, "/app/bad.ts", settings)!;
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect(result.code).toBe(code);
  });
});
