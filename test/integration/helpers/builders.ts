import { fileURLToPath } from "node:url";

/** Absolute path of an example's directory. */
export const exampleDir = (name: string) => fileURLToPath(new URL(`../../../examples/${name}/`, import.meta.url));

interface StatsLike {
  hasErrors(): boolean;
  toString(options: unknown): string;
}

// webpack and Rspack share the callback API.
function runCompiler(compile: (config: unknown, cb: (err: Error | null, stats?: StatsLike) => void) => unknown, config: unknown) {
  return new Promise<void>((resolve, reject) =>
    compile(config, (err, stats) => {
      if (err) return reject(err);
      if (stats!.hasErrors()) return reject(new Error(stats!.toString({ preset: "errors-warnings" })));
      resolve();
    }),
  );
}

/** One real build per example, in-process through each tool's JS API, using the example's own config. */
export const builders = {
  async esbuild() {
    const { build } = await import("esbuild");
    const { default: config } = await import("../../../examples/node-http/esbuild.config.mjs");
    await build(config);
  },
  async rollup() {
    const { rollup } = await import("rollup");
    const { default: config } = await import("../../../examples/rollup/rollup.config.mjs");
    const bundle = await rollup(config);
    await bundle.write(config.output);
    await bundle.close();
  },
  async vite() {
    const { build } = await import("vite");
    // Imported here rather than by Vite's config loader: under vitest, Node's own import would pick
    // the workspace packages' "source" (TypeScript) entries.
    const { default: config } = await import("../../../examples/vite/vite.config.ts");
    await build({ ...config, configFile: false });
  },
  async webpack() {
    const { default: webpack } = await import("webpack");
    const { default: config } = await import("../../../examples/webpack/webpack.config.mjs");
    await runCompiler(webpack as never, config);
  },
  async rspack() {
    const { rspack } = await import("@rspack/core");
    const { default: config } = await import("../../../examples/rspack/rspack.config.mjs");
    await runCompiler(rspack as never, config);
  },
} satisfies Record<string, () => Promise<void>>;
