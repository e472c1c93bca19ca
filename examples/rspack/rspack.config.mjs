import durable from "@durable-endpoints/unplugin/rspack";

const here = (path) => new URL(path, import.meta.url).pathname;

/** @type {import("@rspack/core").Configuration} */
export default {
  context: here("."),
  mode: "production",
  target: "node20",
  entry: here("../shared/src/node-server.ts"),
  output: { path: here("dist"), filename: "server.js", module: true, chunkFormat: "module" },
  devtool: "source-map",
  optimization: { minimize: false },
  externalsType: "module",
  externalsPresets: { node: true },
  externals: [({ request }, callback) => (/^(@[\w-]+\/)?[\w-]/.test(request) && !request.startsWith("node:") ? callback(null, request) : callback())],
  resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
  module: {
    rules: [{ test: /\.ts$/, loader: "builtin:swc-loader", options: { jsc: { parser: { syntax: "typescript" }, target: "es2022" } } }],
  },
  plugins: [durable({ alias: true })],
};
