/**
 * The resume assertion must tell compiled resumption from replay: run the
 * UNCOMPILED handlers on the real runtime (replay), crash after each
 * checkpoint, and require that replay still answers correctly but VIOLATES
 * "nothing before the last committed checkpoint ran again" at least once,
 * for every case that runs code before one of its steps.
 */
import { afterAll, describe, expect, test } from "vitest";
import { loadCorpus } from "./harness/cases.js";
import { checkResumed, compareResponse } from "./harness/check.js";
import { runReal } from "./harness/run.js";
import { crashPlans, hasCodeBeforeAStep, oracleOf } from "./harness/suite.js";
import { printSummary } from "./report.js";

const cases = await loadCorpus();
const counted = { "cases checked": 0, "crash points tried": 0, "re-executions detected": 0 };

describe.each(cases)("$name", (c) => {
  test("replay re-runs code before the resume point, and the check notices", { timeout: 300_000 }, async (ctx) => {
    const oracle = await oracleOf(c);
    if (!hasCodeBeforeAStep(oracle)) return ctx.skip();
    counted["cases checked"]++;
    let detected = 0;
    for (const plan of await crashPlans(c, false, { checkpointsOnly: true })) {
      const run = await runReal(c.file, c.spec, c.scenario, { compiled: false, crash: plan });
      counted["crash points tried"]++;
      expect(compareResponse(oracle.expected, run.response)).toBeUndefined();
      if (run.crashed && checkResumed(oracle.probes, run.world)) detected++;
    }
    counted["re-executions detected"] += detected;
    expect(detected, "replay re-executed nothing the check could see").toBeGreaterThan(0);
  });
});

afterAll(() => printSummary("replay self-check", counted));
