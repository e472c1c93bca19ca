/**
 * Issue #12 class 14: a class declaration is evaluated where it stands (its computed keys
 * see the locals declared before it, its static initialisers run in order and once), and
 * re-created on resume only where it is still used.
 */
import { describe, expect, it } from "vitest";
import { expectEquivalent, load } from "./harness.js";

const endpoint = (body: string) => `import { step } from "inngest";\nexport const handler = inngest.endpoint(async () => {\n${body}\n});\n`;
const check = async (body: string) => {
  const { plain, checkpoints } = await expectEquivalent(load(endpoint(body)), { scenario: { retries: 0 } });
  expect(checkpoints).toBeGreaterThan(0);
  return { body: JSON.parse(plain.body), probes: plain.probes };
};

describe("class declarations (class 14)", () => {
  it("computed keys and static initialisers run where the class stands, once", async () => {
    expect(
      await check(`
      probe("start");
      const k = "m";
      class C { [k]() { return "from m"; } static s = probe("static"); }
      const m = new C().m();
      const got = await step.run("a", () => 1);
      probe("after step");
      return Response.json({ got, m });`),
    ).toEqual({ body: { got: 1, m: "from m" }, probes: ["start", "static", "after step"] });
  });

  it("a class declared after a step runs its statics once; one used after a step is re-created on resume", async () => {
    expect(
      await check(`
      const first = await step.run("a", () => 1);
      class Late { static s = probe("late static"); twice(n) { return n * 2; } }
      const t = new Late().twice(first);
      const second = await step.run("b", () => 2);
      const k = "sum";
      const Expr = class { [k](a, b) { return a + b + first; } };
      const third = await step.run("c", () => 3);
      return Response.json({ t, s: new Expr().sum(third, second) });`),
    ).toEqual({ body: { t: 2, s: 6 }, probes: ["late static"] });
  });
});
