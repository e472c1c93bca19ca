/**
 * P4 build cost.
 * - A generated app of 1,000 modules (a few of them endpoints) built by Vite 8,
 *   with and without @durable-endpoints/unplugin/vite.
 * - The transform of one endpoint file vs a plain Babel parse + generate of it
 *   (the floor for any Babel-based compiler), both producing source maps.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@babel/parser";
import generateModule from "@babel/generator";
import { build } from "vite";
import { compare, ratio, time } from "../lib/harness.mjs";
import { generateApp } from "../lib/app-generator.mjs";
import { printTable } from "../lib/report.mjs";

const generate = generateModule.default ?? generateModule;
const endpointFile = fileURLToPath(new URL("../fixtures/checkout.ts", import.meta.url));

async function viteBuild(root, plugins) {
  await build({
    root,
    configFile: false,
    logLevel: "silent",
    plugins,
    // As installed from npm, the runtime the aliased imports name is a dependency Vite leaves external in an
    // SSR build, like "inngest" without the plugin. Linked from this workspace it would be bundled (~165 KB
    // more output, ~50 ms more per build: work the plugin does not cause).
    ssr: { external: ["@durable-endpoints/runtime"] },
    build: { ssr: "src/main.ts", outDir: "dist", emptyOutDir: true, minify: false },
  });
}

/** Median-friendly: time `iterations` calls and return ms per call. */
function perCall(fn, iterations) {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / iterations;
}

export async function run({ mode, tmp }) {
  const root = join(tmp, "app");
  const app = generateApp(root, { modules: 1000, endpointEvery: 200 });
  const { default: durable } = await import("@durable-endpoints/unplugin/vite");
  const rounds = mode === "quick" ? 3 : mode === "full" ? 11 : 5;
  const builds = await compare(
    {
      vite_with_plugin: () => time(() => viteBuild(root, [durable({ alias: true })])),
      vite_without: () => time(() => viteBuild(root, [])),
    },
    { rounds },
  );

  const { transform } = await import("@durable-endpoints/transform");
  const code = readFileSync(endpointFile, "utf8");
  const iterations = mode === "quick" ? 20 : 50;
  const compile = await compare(
    {
      // both with source maps, as a bundler plugin asks for them
      transform: async () => perCall(() => transform(code, { filename: endpointFile, sourceMaps: true }), iterations),
      babel_roundtrip: async () =>
        perCall(() => {
          const ast = parse(code, { sourceType: "module", plugins: ["typescript"], sourceFilename: endpointFile });
          generate(ast, { sourceMaps: true, sourceFileName: endpointFile }, code);
        }, iterations),
    },
    { rounds },
  );

  printTable(
    `P4 build cost (${app.files} files, ${app.endpoints} endpoints; ms, median of ${rounds})`,
    ["contender", "median ms", "min", "max"],
    [...Object.entries(builds), ...Object.entries(compile)].map(([name, s]) => [name, s.median, s.min, s.max]),
  );
  return [
    ratio("P4.vite_with_vs_without", builds, "vite_with_plugin", "vite_without", `${app.files} modules, ${app.endpoints} endpoint modules; ms per build`),
    ratio("P4.transform_vs_babel_roundtrip", compile, "transform", "babel_roundtrip", "fixtures/checkout.ts, ms per call"),
  ];
}
