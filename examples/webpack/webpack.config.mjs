import durable from "@durable-endpoints/unplugin/webpack";

const here = (path) => new URL(path, import.meta.url).pathname;

/** @type {import("webpack").Configuration} */
export default {
  context: here("."),
  mode: "production",
  target: "node20",
  entry: here("../shared/src/node-server.ts"),
  output: { path: here("dist"), filename: "server.js", module: true, chunkFormat: "module" },
  experiments: { outputModule: true },
  devtool: "source-map",
  optimization: { minimize: false },
  // Packages stay imports (the runtime has a native SQLite addon); node: builtins too.
  externalsType: "module",
  externalsPresets: { node: true },
  externals: [({ request }, callback) => (/^(@[\w-]+\/)?[\w-]/.test(request) && !request.startsWith("node:") ? callback(null, request) : callback())],
  resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
  module: { rules: [{ test: /\.ts$/, loader: "ts-loader", options: { transpileOnly: true, configFile: here("tsconfig.json") } }] },
  plugins: [durable({ alias: true })],
};
