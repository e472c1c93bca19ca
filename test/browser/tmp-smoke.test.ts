import { it } from "vitest";
import { RunSession } from "../../playground/src/run/session.js";
import { instrument } from "../../playground/src/run/instrument.js";
import { compile } from "../../playground/src/compile.js";
import { examples } from "../../playground/src/examples.js";

it("compiled session", async () => {
  const ex = examples.find((e) => e.id === "query-params")!;
  const c = compile(instrument(ex.code));
  console.log(c.code, c.diagnostics);
  const s = new RunSession("compiled", c.code, () => {});
  await s.start({ method: "GET", query: ex.query, body: "" }, "load-user");
  console.log(s.status, s.entries.map((e) => e.text));
  await s.resume();
  console.log(s.status, s.entries.map((e) => e.text), s.traces, s.rerunLines());
}, 20000);
