/**
 * The suite has teeth: a deliberately broken compilation — one captured local
 * too few saved (dropped from the machine's `live` map before the runtime
 * sees it) — must be caught by the crash checks, while the same cases pass
 * unmutated.
 */
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { casesOf } from "./harness/cases.js";
import { conformanceDir } from "./harness/loader.js";
import type { MachineMutation } from "./harness/process.js";
import { checkCrashes, oracleOf } from "./harness/suite.js";

const SAMPLE = ["sequential-steps", "for-loop", "for-of", "while-loop", "try-finally-step", "const-let-var"];
const cases = (await Promise.all(SAMPLE.map((name) => casesOf(resolve(conformanceDir, "corpus", `${name}.ts`))))).map((c) => c[0]!);

/** Forgets the local that is live in the most states, everywhere. */
const dropOneLocal: MachineMutation = (machine) => {
  const live = machine.live as Record<string, string[]>;
  const frequency = new Map<string, number>();
  for (const names of Object.values(live)) for (const name of names) frequency.set(name, (frequency.get(name) ?? 0) + 1);
  const victim = [...frequency].sort((a, b) => b[1] - a[1])[0]?.[0];
  expect(victim, `machine ${String(machine.id)} saves no locals at all`).toBeDefined();
  return { ...machine, live: Object.fromEntries(Object.entries(live).map(([state, names]) => [state, names.filter((n) => n !== victim)])) };
};

describe.each(cases)("$name", (c) => {
  test("passes as compiled", { timeout: 120_000 }, async () => {
    expect((await checkCrashes(c, await oracleOf(c), { select: (plans) => plans.filter((p) => p.afterCheckpoint) })).problems).toEqual([]);
  });

  test("is caught when the compiled machine forgets one live local", { timeout: 120_000 }, async () => {
    const report = await checkCrashes(c, await oracleOf(c), {
      mutate: dropOneLocal,
      select: (plans) => plans.filter((p) => p.afterCheckpoint),
    });
    expect(report.problems.length).toBeGreaterThan(0);
  });
});
