import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import durableEsbuild from "../src/esbuild.js";
import durableRollup from "../src/rollup.js";
import durableRspack from "../src/rspack.js";
import durableVite from "../src/vite.js";
import durableWebpack from "../src/webpack.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/bad-endpoint.ts", import.meta.url));
const WARN_FIXTURE = fileURLToPath(new URL("./fixtures/warn-endpoint.ts", import.meta.url));
const LOCATION = "bad-endpoint.ts:8:"; // the `arguments` and the `eval` the compiler cannot support
const CODE = /DE1\d{3}/;
const BOTH = /DE1003[^]*DE1004|DE1004[^]*DE1003/; // every error of the module, not just the first

type Compiler = (config: object, cb: (err: Error | null, stats?: { toString(o: unknown): string }) => void) => unknown;
const TS_LOADER = { test: /\.ts$/, loader: "ts-loader", options: { transpileOnly: true } };
const webpackLike = (compiler: Compiler, plugins: unknown[], rules: object[], entry = FIXTURE) =>
  new Promise<string>((resolve, reject) =>
    compiler(
      {
        mode: "none",
        context: fileURLToPath(new URL("./fixtures/", import.meta.url)),
        entry,
        target: "node",
        output: { path: fileURLToPath(new URL("../../../node_modules/.cache/durable-diagnostics/", import.meta.url)) },
        externals: [/^[@a-z]/],
        resolve: { extensions: [".ts", ".js"] },
        module: { rules },
        plugins,
      },
      (err, stats) => (err ? reject(err) : resolve(stats!.toString({ preset: "errors-warnings" }))),
    ),
  );

/** Runs `build` and returns everything it reported as an error (thrown or collected), as text. */
async function errorsOf(build: () => Promise<unknown>): Promise<string> {
  try {
    const reported = await build();
    return typeof reported === "string" ? reported : "";
  } catch (error) {
    const e = error as { message?: string; loc?: unknown; errors?: unknown[] };
    return [e.message, JSON.stringify(e.loc ?? null), JSON.stringify(e.errors ?? [])].join("\n");
  }
}

// Every bundler reports a module's compile errors as its own error, with file:line:column and the codes.
describe("compile errors surface as bundler errors", () => {
  it("esbuild", async () => {
    const { build } = await import("esbuild");
    const text = await errorsOf(() =>
      build({ entryPoints: [FIXTURE], bundle: true, write: false, logLevel: "silent", packages: "external", plugins: [durableEsbuild({ alias: true })] }),
    );
    expect(text).toMatch(BOTH);
    expect(text).toContain('"line":8');
    expect(text).toContain("bad-endpoint.ts");
  });

  it("Rollup", async () => {
    const { rollup } = await import("rollup");
    const text = await errorsOf(() => rollup({ input: FIXTURE, external: () => false, plugins: [durableRollup({ alias: true })], onwarn: () => {} }));
    expect(text).toMatch(BOTH);
    expect(text).toContain('"line":8');
  });

  it("Vite", async () => {
    const { build } = await import("vite");
    const text = await errorsOf(() =>
      build({ configFile: false, logLevel: "silent", plugins: [durableVite({ alias: true })], build: { write: false, ssr: FIXTURE } }),
    );
    expect(text).toMatch(BOTH);
    expect(text).toMatch(/bad-endpoint\.ts[:(]8/);
  });

  it("webpack", async () => {
    const { default: webpack } = await import("webpack");
    const text = await webpackLike(webpack as never, [durableWebpack({ alias: true })], [TS_LOADER]);
    expect(text).toMatch(CODE);
    expect(text).toContain(LOCATION);
  });

  it("Rspack", async () => {
    const { rspack } = await import("@rspack/core");
    const text = await webpackLike(rspack as never, [durableRspack({ alias: true })], [
      { test: /\.ts$/, loader: "builtin:swc-loader", options: { jsc: { parser: { syntax: "typescript" } } } },
    ]);
    expect(text).toMatch(CODE);
    expect(text).toContain(LOCATION);
  });
});

describe("compile warnings surface as bundler warnings (the module still compiles)", () => {
  const WARNING = /warn-endpoint\.ts[^]*DE1007|DE1007[^]*warn-endpoint\.ts/;

  it("esbuild", async () => {
    const { build } = await import("esbuild");
    const result = await build({ entryPoints: [WARN_FIXTURE], bundle: true, write: false, logLevel: "silent", packages: "external", plugins: [durableEsbuild({ alias: true })] });
    expect(JSON.stringify(result.warnings)).toMatch(WARNING);
    expect(JSON.stringify(result.warnings)).toContain('"line":11');
    expect(result.outputFiles[0]!.text).toMatch(/durable: 1/);
  });

  it("Rollup", async () => {
    const { rollup } = await import("rollup");
    const warnings: string[] = [];
    const { default: esbuild } = await import("rollup-plugin-esbuild");
    const bundle = await rollup({ input: WARN_FIXTURE, external: () => true, plugins: [durableRollup({ alias: true }), esbuild()], onwarn: (w) => void warnings.push(`${w.message} ${JSON.stringify(w.loc)}`) });
    const { output } = await bundle.generate({ format: "es" });
    expect(warnings.join("\n")).toMatch(/DE1007[^]*"line":11/);
    expect(output[0].code).toMatch(/durable: 1/);
  });

  it("webpack", async () => {
    const { default: webpack } = await import("webpack");
    const text = await webpackLike(webpack as never, [durableWebpack({ alias: true })], [TS_LOADER], WARN_FIXTURE);
    expect(text).toContain("warn-endpoint.ts:11:");
    expect(text).toContain("DE1007");
  });
});

