import durable from "@durable-endpoints/unplugin/rspack";
import { nodeServerBundle } from "../shared/node-bundle.config.mjs";

const { config } = nodeServerBundle(import.meta.url);

/** @type {import("@rspack/core").Configuration} */
export default {
  ...config,
  module: {
    rules: [{ test: /\.ts$/, loader: "builtin:swc-loader", options: { jsc: { parser: { syntax: "typescript" }, target: "es2022" } } }],
  },
  plugins: [durable({ alias: true })],
};
