import durable from "@durable-endpoints/unplugin/webpack";
import { nodeServerBundle } from "../shared/node-bundle.config.mjs";

const { config, here } = nodeServerBundle(import.meta.url);

/** @type {import("webpack").Configuration} */
export default {
  ...config,
  experiments: { outputModule: true },
  module: { rules: [{ test: /\.ts$/, loader: "ts-loader", options: { transpileOnly: true, configFile: here("tsconfig.json") } }] },
  plugins: [durable({ alias: true })],
};
