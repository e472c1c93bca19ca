/**
 * Differential fuzzing, CI batch: FUZZ_COUNT generated handlers from
 * FUZZ_SEED on (defaults sized for ~1–2 minutes on 2 cores), each compiled vs
 * the oracle, without a crash and crashed at FUZZ_CRASH_POINTS points. A
 * failing program is shrunk and saved under corpus/regressions/.
 * `npm run fuzz -- --count N --seed S` runs this file with other values.
 */
import { expect, test } from "vitest";
import { printSummary } from "../report.js";
import { fuzzBatch } from "./run.js";

const count = Number(process.env.FUZZ_COUNT ?? 60);
const seed = Number(process.env.FUZZ_SEED ?? 1);
const crashPoints = process.env.FUZZ_CRASH_POINTS === "all" ? Infinity : Number(process.env.FUZZ_CRASH_POINTS ?? 6);

test(`fuzz: ${count} programs from seed ${seed}, compiled vs oracle with crash injection`, { timeout: 3_600_000 }, async () => {
  const report = await fuzzBatch(seed, count, { crashPoints, saveRegressions: process.env.FUZZ_SAVE !== "0" });
  printSummary("fuzz", { "fuzz programs": report.programs, "crash points tried": report.crashPoints, failing: report.failures.length });
  const details = report.failures.map(
    (f) => `seed ${f.seed}${f.regression ? ` (shrunk to ${f.regression})` : ""}:\n${f.problems.slice(0, 2).join("\n\n")}`,
  );
  expect(report.failures.length, details.join("\n\n")).toBe(0);
});
