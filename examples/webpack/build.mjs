import webpack from "webpack";
import config from "./webpack.config.mjs";

const stats = await new Promise((resolve, reject) => webpack(config, (err, result) => (err ? reject(err) : resolve(result))));
console.log(stats.toString({ preset: "errors-warnings" }));
if (stats.hasErrors()) process.exitCode = 1;
