import durable from "@durable-endpoints/unplugin/esbuild";

/** @type {import("esbuild").BuildOptions} */
export default {
  entryPoints: [new URL("../shared/src/node-server.ts", import.meta.url).pathname],
  outfile: new URL("./dist/server.js", import.meta.url).pathname,
  absWorkingDir: new URL(".", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  plugins: [durable({ alias: true })],
};
