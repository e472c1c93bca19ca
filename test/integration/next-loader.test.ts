import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "./helpers/commands.js";

// withDurable's loader inside a real webpack build, in a child process as under `next build --webpack`.
const SCRIPT = fileURLToPath(new URL("./fixtures/webpack-next-loader.mjs", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../../packages/unplugin/test/fixtures/${name}`, import.meta.url));

async function build(entry: string): Promise<{ text: string; code: string }> {
  return JSON.parse(await run("node", [SCRIPT, entry], { cwd: fileURLToPath(new URL(".", import.meta.url)) }));
}

describe("the Next.js loader under webpack", () => {
  it("fails the build on compile errors with file:line:column and the code", async () => {
    const { text } = await build(fixture("bad-endpoint.ts"));
    expect(text).toMatch(/bad-endpoint\.ts:8:\d+: error DE1\d{3}/);
  });

  it("reports warnings and emits the compiled machine with the alias applied", async () => {
    const { text, code } = await build(fixture("warn-endpoint.ts"));
    expect(text).toContain("warn-endpoint.ts:11:");
    expect(text).not.toMatch(/ERROR/);
    expect(code).toMatch(/durable: 1/);
    expect(code).toContain("@durable-endpoints/runtime");
  });
});
