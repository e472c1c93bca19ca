import { readdirSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleDir } from "./helpers/builders.js";
import { NEXT, run } from "./helpers/commands.js";
import { crashAndResume } from "./helpers/crash.js";
import { freePort, startServer, type RunningServer } from "../support/processes.mjs";
import { expectCompiled, stackPointsAtSource, suspendAndComplete } from "./helpers/scenarios.js";
import { tempStore } from "./helpers/store.js";

const APP = exampleDir("next-app");
const TRACE_SOURCE = `${APP}app/api/trace/route.ts`;

// `next build` once with Turbopack (the default) and once with webpack, each into its own distDir.
describe.each([
  { bundler: "turbopack", args: [] as string[] },
  { bundler: "webpack", args: ["--webpack"] },
])("Next.js example, next build ($bundler) + next start", ({ bundler, args }) => {
  const distDir = `.next-${bundler}`;
  const store = tempStore(`next-${bundler}`);
  let server: RunningServer;
  const start = async () => {
    const port = await freePort();
    return startServer(NEXT, ["start", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: APP,
      url: `http://127.0.0.1:${port}`,
      env: { NEXT_DIST_DIR: distDir, NODE_OPTIONS: "--enable-source-maps", ...store.env },
    });
  };

  beforeAll(async () => {
    await run(NEXT, ["build", ...args], { cwd: APP, env: { NEXT_DIST_DIR: distDir } });
    server = await start();
  });
  afterAll(async () => {
    await server?.kill();
    store.remove();
    rmSync(`${APP}${distDir}`, { recursive: true, force: true });
  });

  it("compiles each route into a machine whose id is relative to the Next.js project", () => {
    const serverDir = `${APP}${distDir}/server/`;
    const chunks = readdirSync(serverDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
    const output = chunks.map((f) => readFileSync(serverDir + f, "utf8")).join("\n");
    expect(output).toContain('"../shared/src/endpoints.ts#checkout"'); // re-exported from examples/shared
    expect(output).toContain('"app/api/trace/route.ts#GET"');
  });

  it("answers inline, with a stack trace mapped to the route's source line", async () => {
    await stackPointsAtSource(server.url, TRACE_SOURCE);
  });

  it("suspends with 303 and completes through the poll URL (sleep + event sent by another route)", async () => {
    await suspendAndComplete(server.url, `next-${bundler}-ok`);
    expectCompiled(server.output());
  });

  it("resumes a run after SIGKILL of the process group through its Idempotency-Key", async () => {
    await server.kill();
    await crashAndResume(start, `next-${bundler}-crash`);
  });
});

describe("Next.js example, next dev (Turbopack)", () => {
  const store = tempStore("next-dev");
  let server: RunningServer;

  beforeAll(async () => {
    const port = await freePort();
    server = await startServer(NEXT, ["dev", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: APP,
      url: `http://127.0.0.1:${port}`,
      env: { NEXT_DIST_DIR: ".next-dev", NODE_ENV: "development", NODE_OPTIONS: "--enable-source-maps", ...store.env },
    });
  });
  afterAll(async () => {
    await server?.kill();
    store.remove();
    rmSync(`${APP}.next-dev`, { recursive: true, force: true });
  });

  it("compiles routes on demand: stack at the route's line, 303 + poll URL, no replay mode", async () => {
    await stackPointsAtSource(server.url, TRACE_SOURCE);
    await suspendAndComplete(server.url, "next-dev-ok");
    expectCompiled(server.output());
  });
});
