import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleDir } from "./helpers/builders.js";
import { BUN, run } from "./helpers/commands.js";
import { crashAndResume } from "./helpers/crash.js";
import { startServer, type RunningServer } from "./helpers/process.js";
import { expectCompiled, stackPointsAtSource, suspendAndComplete } from "./helpers/scenarios.js";
import { tempStore } from "./helpers/store.js";

const ENDPOINTS_SOURCE = `${exampleDir("shared")}src/endpoints.ts`;

describe("Bun example: Bun.serve with the plugin in a bunfig.toml preload (bun:sqlite store)", () => {
  const store = tempStore("bun-preload");
  let server: RunningServer;
  const start = () => startServer(BUN, ["--no-install", "server.ts"], { cwd: exampleDir("bun"), env: { PORT: "0", ...store.env } });

  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.kill();
    store.remove();
  });

  // Bun 1.4.5 ignores source maps returned by onLoad (oven-sh/bun#6173): the frame names the
  // right file, at the compiled line.
  it("answers inline, with a stack trace naming the original source file", async () => {
    await stackPointsAtSource(server.url, ENDPOINTS_SOURCE, { line: false });
  });

  it("suspends with 303 and completes through the poll URL (sleep + event)", async () => {
    await suspendAndComplete(server.url, "bun-ok");
    expectCompiled(server.output());
  });

  it("resumes a run after SIGKILL through its Idempotency-Key", async () => {
    await server.kill();
    await crashAndResume(start, "bun-crash");
  });
});

describe("Bun example: bundled by Bun.build with the plugin", () => {
  const store = tempStore("bun-build");
  let server: RunningServer;

  beforeAll(async () => {
    await run(BUN, ["--no-install", "build.ts"], { cwd: exampleDir("bun") });
    // Started from dist/ so the preload in examples/bun/bunfig.toml does not apply: this is the bundle alone.
    server = await startServer(BUN, ["--no-install", "server.js"], { cwd: `${exampleDir("bun")}dist`, env: { PORT: "0", ...store.env } });
  });
  afterAll(async () => {
    await server?.kill();
    store.remove();
  });

  // Bun 1.4.5 ignores source maps returned by onLoad (oven-sh/bun#6173): the frame names the
  // right file, at the compiled line.
  it("answers inline, with a stack trace naming the original source file", async () => {
    await stackPointsAtSource(server.url, ENDPOINTS_SOURCE, { line: false });
  });

  it("suspends with 303 and completes through the poll URL (sleep + event)", async () => {
    await suspendAndComplete(server.url, "bun-build-ok");
    expectCompiled(server.output());
  });
});

describe("Bun plugin: compile errors", () => {
  it("fail Bun.build with file:line:column, the diagnostic code and a code frame", async () => {
    const script = fileURLToPath(new URL("./fixtures/bun-build.ts", import.meta.url));
    const bad = fileURLToPath(new URL("../../packages/unplugin/test/fixtures/bad-endpoint.ts", import.meta.url));
    await expect(run(BUN, ["--no-install", script, bad], { cwd: exampleDir("shared") })).rejects.toThrow(/bad-endpoint\.ts:8:\d+: DE1\d{3}[^]*\|/);
  });
});
