import { builders, exampleDir } from "./helpers/builders.js";
import { describeServedExample } from "./helpers/served-example.js";

// Each bundler builds the shared Node server (examples/shared) with its own example config.
const examples = [
  { tool: "esbuild", dir: "node-http" },
  { tool: "rollup", dir: "rollup" },
  { tool: "vite", dir: "vite" },
  { tool: "webpack", dir: "webpack" },
  { tool: "rspack", dir: "rspack" },
] as const;

for (const { tool, dir } of examples) {
  describeServedExample(`${tool} example (examples/${dir})`, {
    label: tool,
    build: builders[tool],
    command: "node",
    args: ["--enable-source-maps", "dist/server.js"],
    cwd: exampleDir(dir),
  });
}
