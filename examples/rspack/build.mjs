import { rspack } from "@rspack/core";
import config from "./rspack.config.mjs";

const stats = await new Promise((resolve, reject) => rspack(config, (err, result) => (err ? reject(err) : resolve(result))));
console.log(stats.toString({ preset: "errors-warnings" }));
if (stats.hasErrors()) process.exitCode = 1;
