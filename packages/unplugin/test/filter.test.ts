/** include / exclude and the code test: unplugin's `transform.filter`, and the same filter for Bun and Next.js. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import durableEsbuild from "../src/esbuild.js";
import { createFilter, transformFilter } from "../src/filter.js";
import type { DurableOptions } from "../src/options.js";
import durableRollup from "../src/rollup.js";

const ENDPOINT = `import { step } from "inngest";\nexport const h = inngest.endpoint(async () => new Response(await step.run("a", () => "x")));\n`;
const project = mkdtempSync(path.join(tmpdir(), "durable-filter-"));
const FILES = ["src/api/checkout.ts", "src/other.ts", "src/api/checkout.test.ts", "node_modules/lib/index.js"];
for (const file of FILES) {
  mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
  writeFileSync(path.join(project, file), ENDPOINT);
}
afterAll(() => rmSync(project, { recursive: true, force: true }));

const CASES: Array<[string, DurableOptions, string[]]> = [
  ["defaults: JS/TS modules outside node_modules", {}, ["src/api/checkout.ts", "src/other.ts", "src/api/checkout.test.ts"]],
  ["globs relative to root", { include: ["src/api/**"], exclude: ["**/*.test.ts"], root: project }, ["src/api/checkout.ts"]],
  ["RegExps anywhere", { include: [/other/, /node_modules/], exclude: [] }, ["src/other.ts", "node_modules/lib/index.js"]],
];

const compiledBy = async (bundle: (file: string, options: DurableOptions) => Promise<string>, options: DurableOptions) => {
  const compiled: string[] = [];
  for (const file of FILES) if ((await bundle(path.join(project, file), options)).includes("durable: 1")) compiled.push(file);
  return compiled;
};

describe.each(CASES)("%s", (_name, options, expected) => {
  it("Bun and the Next.js loader", () => {
    const accepts = createFilter(transformFilter(options));
    expect(FILES.filter((file) => accepts(path.join(project, file), ENDPOINT))).toEqual(expected);
  });

  it("esbuild (unplugin applies the filter)", async () => {
    const { build } = await import("esbuild");
    const bundle = async (file: string, o: DurableOptions) =>
      (await build({ entryPoints: [file], bundle: true, write: false, logLevel: "silent", packages: "external", plugins: [durableEsbuild(o)] })).outputFiles[0]!.text;
    expect(await compiledBy(bundle, options)).toEqual(expected);
  });

  it("Rollup (applies the filter itself)", async () => {
    const { rollup } = await import("rollup");
    const bundle = async (file: string, o: DurableOptions) => (await (await rollup({ input: file, external: () => true, plugins: [durableRollup(o)] })).generate({ format: "es" })).output[0].code;
    expect(await compiledBy(bundle, options)).toEqual(expected);
  });
});

describe("transform.filter", () => {
  const accepts = createFilter(transformFilter({ alias: true }));

  it("ignores bundler queries and virtual modules", () => {
    expect(accepts("/app/src/a.mts?v=123", ENDPOINT)).toBe(true);
    expect(accepts("\0virtual:a.ts", ENDPOINT)).toBe(false);
    expect(accepts("/app/src/a.css", ENDPOINT)).toBe(false);
  });

  it("only texts that call `.endpoint(` or import an aliased specifier", () => {
    expect(accepts("/app/src/a.ts", `export const x = 1;`)).toBe(false);
    expect(accepts("/app/src/client.ts", `import { Inngest } from 'inngest';`)).toBe(true);
    expect(createFilter(transformFilter({}))("/app/src/client.ts", `import { Inngest } from "inngest";`)).toBe(false);
  });
});
