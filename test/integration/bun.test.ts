import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exampleDir } from "./helpers/builders.js";
import { BUN, run } from "./helpers/commands.js";
import { describeServedExample } from "./helpers/served-example.js";

describeServedExample("Bun example: Bun.serve with the plugin in a bunfig.toml preload (bun:sqlite store)", {
  label: "bun",
  command: BUN,
  args: ["--no-install", "server.ts"],
  cwd: exampleDir("bun"),
  stackLine: false,
});

describeServedExample("Bun example: bundled by Bun.build with the plugin", {
  label: "bun-build",
  build: () => run(BUN, ["--no-install", "build.ts"], { cwd: exampleDir("bun") }),
  // Started from dist/ so the preload in examples/bun/bunfig.toml does not apply: this is the bundle alone.
  command: BUN,
  args: ["--no-install", "server.js"],
  cwd: `${exampleDir("bun")}dist`,
  stackLine: false,
  crash: false,
});

describe("Bun plugin: compile errors", () => {
  it("fail Bun.build with file:line:column, the diagnostic code and a code frame", async () => {
    const script = fileURLToPath(new URL("./fixtures/bun-build.ts", import.meta.url));
    const bad = fileURLToPath(new URL("../../packages/unplugin/test/fixtures/bad-endpoint.ts", import.meta.url));
    await expect(run(BUN, ["--no-install", script, bad], { cwd: exampleDir("shared") })).rejects.toThrow(/bad-endpoint\.ts:8:\d+: error DE1\d{3}[^]*\|/);
  });
});
