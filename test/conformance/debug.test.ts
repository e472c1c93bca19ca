// Scratch: CODE='…' shows the transform's diagnostics/output for a snippet (src, not dist).
import { test } from "vitest";
import { transform } from "@durable-endpoints/transform";
import { readFileSync } from "node:fs";
test("debug", () => {
  const src = process.env.CODE!.endsWith(".ts") ? readFileSync(process.env.CODE!, "utf8") : process.env.CODE!;
  try {
    const r = transform(src, { filename: "/work/main/x.ts", root: "/work/main" });
    console.log(r.diagnostics.map((d: any) => d.message + "\n" + d.frame).join("\n"));
    if (process.env.SHOW) console.log(r.code);
  } catch (e) { console.log("THROWS:", (e as Error).stack); }
});
