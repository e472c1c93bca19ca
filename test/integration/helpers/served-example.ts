import { afterAll, beforeAll, describe, it } from "vitest";
import { exampleDir } from "./builders.js";
import { crashAndResume } from "./crash.js";
import { startServer, type RunningServer } from "../../support/processes.mjs";
import { expectCompiled, stackPointsAtSource, suspendAndComplete } from "./scenarios.js";
import { tempStore } from "./store.js";

export const ENDPOINTS_SOURCE = `${exampleDir("shared")}src/endpoints.ts`;

export interface ServedExample {
  /** names the temp store and the order ids (`<label>-ok`, `<label>-crash`) */
  label: string;
  /** builds the example once, before its server starts */
  build?: () => Promise<unknown>;
  /** the server's command line and working directory */
  command: string;
  args: string[];
  cwd: string;
  /** false where the tool loses the source line (Bun 1.4.5 ignores onLoad source maps, oven-sh/bun#6173) */
  stackLine?: boolean;
  /** also SIGKILL the server mid-run and resume through the Idempotency-Key */
  crash?: boolean;
}

/**
 * The scenarios every example app server must pass: an inline answer whose stack points at the
 * shared endpoints source, a 303 completed through the poll URL (sleep + event), and — unless
 * disabled — a SIGKILL mid-run followed by a restart that resumes the run.
 */
export function describeServedExample(title: string, example: ServedExample): void {
  describe(title, () => {
    const store = tempStore(example.label);
    let server: RunningServer;
    const start = () =>
      startServer(example.command, example.args, { cwd: example.cwd, env: { PORT: "0", ...store.env } });

    beforeAll(async () => {
      await example.build?.();
      server = await start();
    });
    afterAll(async () => {
      await server?.kill();
      store.remove();
    });

    const stackLine = example.stackLine ?? true;
    it(`answers inline, with a stack trace ${stackLine ? "mapped to the original source line" : "naming the original source file"}`, async () => {
      await stackPointsAtSource(server.url, ENDPOINTS_SOURCE, { line: stackLine });
    });

    it("suspends with 303 and completes through the poll URL (sleep + event)", async () => {
      await suspendAndComplete(server.url, `${example.label}-ok`);
      expectCompiled(server.output());
    });

    if (example.crash ?? true) {
      it("resumes a run after SIGKILL through its Idempotency-Key", async () => {
        await server.kill();
        await crashAndResume(start, `${example.label}-crash`);
      });
    }
  });
}
