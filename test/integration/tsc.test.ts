import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exampleDir } from "./helpers/builders.js";
import { run, TSPC } from "./helpers/commands.js";
import { describeServedExample } from "./helpers/served-example.js";

describeServedExample("tsc example: program.emit with the durable transformer, run by node", {
  label: "tsc",
  build: () => run("node", ["build.mjs"], { cwd: exampleDir("tsc") }),
  command: "node",
  args: ["--enable-source-maps", "dist/node-server.js"],
  cwd: exampleDir("tsc"),
});

describe("tsc example: ts-patch 3.3.0 `plugins` entry in tsconfig.json (tspc)", () => {
  it("compiles the endpoints through the same transformer", async () => {
    await run(TSPC, ["-p", "tsconfig.tspc.json"], { cwd: exampleDir("tsc") });
    const out = readFileSync(`${exampleDir("tsc")}dist/tspc/endpoints.js`, "utf8");
    expect(out).toContain("@durable-endpoints/runtime"); // alias applied
    expect(out).toMatch(/durable:\s*1/); // a compiled machine, not the original handler
  });
});
