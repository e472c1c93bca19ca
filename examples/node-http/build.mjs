import { build } from "esbuild";
import config from "./esbuild.config.mjs";

await build(config);
