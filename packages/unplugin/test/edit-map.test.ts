import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import remapping from "@jridgewell/remapping";
import { encode, type SourceMapMappings } from "@jridgewell/sourcemap-codec";
import { resolveAliases, transform } from "@durable-endpoints/transform";
import { describe, expect, it } from "vitest";
import { aliasEdits, rewriteImports } from "../src/alias.js";
import type { SourceMapV3 } from "../src/compile.js";
import { applyEdits, editedMap } from "../src/edit-map.js";

const aliases = resolveAliases(true);

/** What compileModule did before: magic-string's per-character map of the edits, composed by remapping. */
function remapped(code: string, map: SourceMapV3): { code: string; map: SourceMapV3 } {
  const rewritten = rewriteImports(code, aliases)!;
  const editMap = rewritten.generateMap({ hires: true, source: "out.js" });
  return { code: rewritten.toString(), map: JSON.parse(remapping([editMap as SourceMapV3, map], () => null).toString()) as SourceMapV3 };
}

function expectSameAsRemapping(code: string, map: SourceMapV3): void {
  const edits = aliasEdits(code, aliases);
  expect(edits.length).toBeGreaterThan(0);
  const expected = remapped(code, map);
  expect(applyEdits(code, edits)).toBe(expected.code);
  const actual = editedMap(map, code, edits);
  expect({ mappings: actual.mappings, names: actual.names }).toEqual({ mappings: expected.map.mappings, names: expected.map.names });
}

const mapOf = (mappings: SourceMapMappings, names: string[] = []): SourceMapV3 => ({ version: 3, sources: ["in.ts"], sourcesContent: [null], names, mappings: encode(mappings) });

describe("editedMap: the transform's map after the alias rewrite", () => {
  const corpus = fileURLToPath(new URL("../../../test/conformance/corpus/", import.meta.url));
  const files = [
    ...readdirSync(corpus).filter((f) => f.endsWith(".ts")).map((f) => corpus + f),
    fileURLToPath(new URL("../../../test/bench/fixtures/checkout.ts", import.meta.url)),
    fileURLToPath(new URL("../../../examples/shared/src/endpoints.ts", import.meta.url)),
  ].filter((f) => readFileSync(f, "utf8").includes(`"inngest`));

  it.each(files)("is remapping's map, segment for segment: %s", (file) => {
    const result = transform(readFileSync(file, "utf8"), { filename: file, sourceMaps: true });
    expect(result.map).not.toBeNull();
    expectSameAsRemapping(result.code, result.map as SourceMapV3);
  });

  it("shifts the segments after a specifier in compiled code, several on a line", () => {
    const code = [
      `import { Inngest, step } from "inngest";`,
      `export const handler = inngest.endpoint(async (req) => {`,
      `  const [a, b] = await step.run("load", async () => [await import("inngest"), await import('inngest/edge')]);`,
      `  return Response.json({ a: typeof a, b: typeof b });`,
      `});`,
    ].join("\n");
    const result = transform(code, { filename: "/app/h.ts", sourceMaps: true });
    expect(result.code).toContain(`import("inngest")`);
    expectSameAsRemapping(result.code, result.map as SourceMapV3);
  });

  it("handles segments inside, at and right after a specifier, equal columns, names and sourceless segments", () => {
    const code = `x = import("inngest") + require('inngest/edge');\ny = 1;`;
    const start = code.indexOf("inngest");
    const mappings: SourceMapMappings = [
      [[0, 0, 0, 0], [0, 0, 3, 1], [2, 0, 0, 4, 0], [start - 1], [start, 0, 1, 0], [start + 2, 0, 1, 2, 1], [start + 3, 0, 1, 2, 1], [start + 7, 0, 2, 0], [start + 8, 0, 2, 9], [40, 0, 5, 5], [40, 0, 6, 6]],
      [[0, 0, 7, 0], [2, 0, 7, 0], [5, 0, 8, 1]],
    ];
    expectSameAsRemapping(code, mapOf(mappings, ["x", "inngest"]));
    expectSameAsRemapping(code, mapOf([[[start + 1, 0, 0, 0]], []]));
    expectSameAsRemapping(code, mapOf([[], [[0, 0, 1, 0]]]));
  });
});
