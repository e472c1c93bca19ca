import { afterAll, beforeAll, describe, it } from "vitest";
import { builders, exampleDir } from "./helpers/builders.js";
import { crashAndResume } from "./helpers/crash.js";
import { startServer, type RunningServer } from "./helpers/process.js";
import { expectCompiled, stackPointsAtSource, suspendAndComplete } from "./helpers/scenarios.js";
import { tempStore } from "./helpers/store.js";

const ENDPOINTS_SOURCE = `${exampleDir("shared")}src/endpoints.ts`;

// Each bundler builds the shared Node server (examples/shared) with its own example config.
const examples = [
  { tool: "esbuild", dir: "node-http" },
  { tool: "rollup", dir: "rollup" },
  { tool: "vite", dir: "vite" },
  { tool: "webpack", dir: "webpack" },
  { tool: "rspack", dir: "rspack" },
] as const;

describe.each(examples)("$tool example (examples/$dir)", ({ tool, dir }) => {
  const store = tempStore(tool);
  let server: RunningServer;
  const start = () =>
    startServer("node", ["--enable-source-maps", "dist/server.js"], { cwd: exampleDir(dir), env: { PORT: "0", ...store.env } });

  beforeAll(async () => {
    await builders[tool]();
    server = await start();
  });
  afterAll(async () => {
    await server?.kill();
    store.remove();
  });

  it("answers inline, with a stack trace mapped to the original source line", async () => {
    await stackPointsAtSource(server.url, ENDPOINTS_SOURCE);
  });

  it("suspends with 303 and completes through the poll URL (sleep + event)", async () => {
    await suspendAndComplete(server.url, `${tool}-ok`);
    expectCompiled(server.output());
  });

  it("resumes a run after SIGKILL through its Idempotency-Key", async () => {
    await server.kill();
    await crashAndResume(start, `${tool}-crash`);
  });
});
