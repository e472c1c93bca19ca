import { test } from "vitest";
import { casesOf } from "./harness/cases.js";
import { oracleOf } from "./harness/suite.js";
import { runReal } from "./harness/run.js";
import { resolve } from "node:path";
test("debug", async () => {
  for (const f of (process.env.F ?? "wait-for-event").split(",")) {
    const [c] = await casesOf(resolve(__dirname, "corpus", f + ".ts"));
    const o = await oracleOf(c!);
    console.log(JSON.stringify(o));
    const r = await runReal(c!.file, c!.spec, c!.scenario, { compiled: process.env.C === "1", crash: process.env.P ? JSON.parse(process.env.P) : undefined });
    console.log(JSON.stringify(r.response), r.crashed, r.checkpoints, JSON.stringify(r.world.log));
  }
});
