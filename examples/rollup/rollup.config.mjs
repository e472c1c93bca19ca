import durable from "@durable-endpoints/unplugin/rollup";
import esbuild from "rollup-plugin-esbuild";

export default {
  input: new URL("../shared/src/node-server.ts", import.meta.url).pathname,
  output: { file: new URL("./dist/server.js", import.meta.url).pathname, format: "es", sourcemap: true },
  // Bare imports (packages, node: builtins) stay imports.
  external: (id) => !id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0"),
  // durable first: it compiles the TypeScript source; esbuild then strips the types.
  plugins: [durable({ alias: true }), esbuild({ target: "node20" })],
};
