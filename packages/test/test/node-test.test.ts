/**
 * The kit under Node's built-in test runner, for real: a child `node --test`
 * runs test/node/signup.test.mjs with the register hook compiling the
 * endpoint at load time. Needs the built dist (`npx turbo run build`).
 */

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const testFile = fileURLToPath(new URL("./node/signup.test.mjs", import.meta.url));

function nodeTest(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args, "--test", "--test-reporter=tap", testFile], { cwd: packageDir }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe("node:test", { timeout: 120_000 }, () => {
  it("runs the kit's tests of a compiled endpoint: all pass", async () => {
    expect(existsSync(new URL("../dist/register.js", import.meta.url)), "build first: npx turbo run build").toBe(true);
    const { code, output } = await nodeTest(["--import", "@durable-endpoints/test/register"]);
    expect(output).toContain("# pass 5");
    expect(output).toContain("# fail 0");
    expect(code).toBe(0);
  });

  it("without the register hook the endpoint is not compiled, and the suite says so", async () => {
    const { code, output } = await nodeTest([]);
    expect(output).toMatch(/not ok \d+ - is compiled by the register hook/);
    expect(code).not.toBe(0);
  });
});
