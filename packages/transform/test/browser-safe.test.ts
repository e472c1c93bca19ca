/** The compiler runs in the playground's page: it bundles for the browser, and takes only the machine contract from the runtime. */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { expect, it } from "vitest";

it("bundles for the browser with no Node built-ins, and from the runtime only machine.ts", async () => {
  for (const conditions of [["source"], []]) {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      conditions,
      metafile: true,
      logLevel: "silent",
    });
    const fromRuntime = Object.keys(result.metafile.inputs).filter((file) => file.includes("packages/runtime/"));
    expect(fromRuntime).toEqual([conditions.length ? "packages/runtime/src/machine.ts" : "packages/runtime/dist/machine.js"]);
  }
});
