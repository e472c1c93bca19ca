/**
 * Every corpus case compiled, crashed in-process at every committed
 * checkpoint and at every probe, then resumed by a fresh incarnation (every
 * 5th crash point through the scheduler instead of the Idempotency-Key
 * request): the oracle's Response, and nothing before the last committed
 * checkpoint ran again.
 */
import { afterAll, describe, test } from "vitest";
import { loadCorpus } from "./harness/cases.js";
import { checkCrashes, oracleOf } from "./harness/suite.js";
import { assertNoProblems, printSummary } from "./report.js";

const cases = await loadCorpus();
const counted = { cases: 0, "crash points tried": 0, "resumed by the scheduler": 0, "not reached (timing)": 0 };

describe.each(cases)("$name", (c) => {
  test("compiled: crash at every checkpoint and probe, resume in a fresh incarnation", { timeout: 300_000 }, async () => {
    const report = await checkCrashes(c, await oracleOf(c), { schedulerEvery: 5 });
    counted.cases++;
    counted["crash points tried"] += report.points;
    counted["resumed by the scheduler"] += report.viaScheduler;
    counted["not reached (timing)"] += report.notReached;
    assertNoProblems(report.problems);
  });
});

afterAll(() => printSummary("in-process crashes", counted));
