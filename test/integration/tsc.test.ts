import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleDir } from "./helpers/builders.js";
import { run, TSPC } from "./helpers/commands.js";
import { crashAndResume } from "./helpers/crash.js";
import { startServer, type RunningServer } from "./helpers/process.js";
import { expectCompiled, stackPointsAtSource, suspendAndComplete } from "./helpers/scenarios.js";
import { tempStore } from "./helpers/store.js";

const ENDPOINTS_SOURCE = `${exampleDir("shared")}src/endpoints.ts`;

describe("tsc example: program.emit with the durable transformer, run by node", () => {
  const store = tempStore("tsc");
  let server: RunningServer;
  const start = () =>
    startServer("node", ["--enable-source-maps", "dist/node-server.js"], { cwd: exampleDir("tsc"), env: { PORT: "0", ...store.env } });

  beforeAll(async () => {
    await run("node", ["build.mjs"], { cwd: exampleDir("tsc") });
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
    await suspendAndComplete(server.url, "tsc-ok");
    expectCompiled(server.output());
  });

  it("resumes a run after SIGKILL through its Idempotency-Key", async () => {
    await server.kill();
    await crashAndResume(start, "tsc-crash");
  });
});

describe("tsc example: ts-patch 3.3.0 `plugins` entry in tsconfig.json (tspc)", () => {
  it("compiles the endpoints through the same transformer", async () => {
    await run(TSPC, ["-p", "tsconfig.tspc.json"], { cwd: exampleDir("tsc") });
    const out = readFileSync(`${exampleDir("tsc")}dist/tspc/endpoints.js`, "utf8");
    expect(out).toContain("@durable-endpoints/runtime"); // alias applied
    expect(out).toMatch(/durable:\s*1/); // a compiled machine, not the original handler
  });
});
