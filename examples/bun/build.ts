import durable from "@durable-endpoints/unplugin/bun";

// `Bun.build` variant: the same plugin at bundle time; packages stay external imports.
const result = await Bun.build({
  entrypoints: [new URL("./server.ts", import.meta.url).pathname],
  outdir: new URL("./dist", import.meta.url).pathname,
  target: "bun",
  sourcemap: "linked",
  packages: "external",
  plugins: [durable({ alias: true })],
});
for (const log of result.logs) console.error(log);
if (!result.success) process.exit(1);
