/** Every corpus case compiled and run on the real runtime (memory store), no crash, vs the oracle. */
import { afterAll, describe, test } from "vitest";
import { loadCorpus } from "./harness/cases.js";
import { checkCompiled, checkReplay, oracleOf } from "./harness/suite.js";
import { assertNoProblems, printSummary } from "./report.js";

const cases = await loadCorpus();
const counted = { cases: 0, "compiled runs": 0, "replay runs": 0 };

describe.each(cases)("$name", (c) => {
  test("compiled: same Response and probe sequence as the oracle", async () => {
    counted.cases++;
    counted["compiled runs"]++;
    assertNoProblems(await checkCompiled(c, await oracleOf(c)));
  });

  test("uncompiled (replay): same Response, every step body as often as the oracle", async () => {
    counted["replay runs"]++;
    assertNoProblems(await checkReplay(c, await oracleOf(c)));
  });
});

afterAll(() => printSummary("no-crash runs", counted));
