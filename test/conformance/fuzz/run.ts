/**
 * Runs fuzz programs through the same checks as the corpus: oracle vs
 * compiled (no crash), then crashes at a sample of checkpoints and probes.
 * A failing program is shrunk and saved as a corpus regression case.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { casesOf, type Case } from "../harness/cases.js";
import { conformanceDir } from "../harness/loader.js";
import { checkCompiled, checkCrashes, oracleOf } from "../harness/suite.js";
import type { MachineMutation } from "../harness/process.js";
import type { CrashPlan } from "../harness/world.js";
import { generate, rng } from "./generate.js";
import { printProgram, type Program } from "./program.js";
import { shrink } from "./shrink.js";

const scratch = join(conformanceDir, ".out", "fuzz");
let written = 0;

async function caseOf(program: Program): Promise<Case> {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `seed-${program.seed}-${process.pid}-${++written}.ts`);
  writeFileSync(file, printProgram(program));
  return (await casesOf(file))[0]!;
}

export interface FuzzOptions {
  /** crash points per program (all checkpoints first, then random probes); Infinity = every point */
  crashPoints: number;
  /** test-only: break every compiled machine this way (to show the fuzzer and shrinker catch it) */
  mutate?: MachineMutation;
}

export interface FuzzResult {
  problems: string[];
  crashPoints: number;
}

/** Every checkpoint, then probes chosen by the program's seed, up to `limit`. */
function sample(plans: CrashPlan[], limit: number, seed: number): CrashPlan[] {
  if (plans.length <= limit) return plans;
  const checkpoints = plans.filter((p) => p.afterCheckpoint !== undefined);
  const probes = plans.filter((p) => p.atProbe !== undefined);
  const random = rng(seed);
  const chosen = checkpoints.slice(0, Math.ceil(limit / 2));
  while (chosen.length < limit && probes.length) chosen.push(probes.splice(Math.floor(random() * probes.length), 1)[0]!);
  return chosen;
}

export async function check(program: Program, options: FuzzOptions): Promise<FuzzResult> {
  let c: Case;
  try {
    c = await caseOf(program);
  } catch (error) {
    return { problems: [`seed ${program.seed}: the generated module does not load: ${(error as Error).message}`], crashPoints: 0 };
  }
  const oracle = await oracleOf(c);
  const problems = await checkCompiled(c, oracle, options.mutate);
  if (problems.length || options.crashPoints === 0) return { problems, crashPoints: 0 };
  const crashes = await checkCrashes(c, oracle, {
    mutate: options.mutate,
    select: (plans) => sample(plans, options.crashPoints, program.seed),
  });
  return { problems: crashes.problems, crashPoints: crashes.points };
}

/** "response differs" / "probe sequence differs" / … of the first problem: what a shrunk program must keep. */
function signature(problems: string[]): string {
  const first = problems[0] ?? "";
  const mode = /\[(compiled|replay)[^\]]*\]/.exec(first)?.[1] ?? "";
  return `${mode}: ${first.split("]: ")[1]?.split("\n")[0]?.replace(/\d+/g, "#").slice(0, 40) ?? ""}`;
}

export const regressionsDir = join(conformanceDir, "corpus", "regressions");

/** The smallest variant of a failing program that still fails the same way. */
export async function shrinkFailure(program: Program, result: FuzzResult, options: FuzzOptions): Promise<Program> {
  const wanted = signature(result.problems);
  return shrink(program, async (candidate) => {
    const again = await check(candidate, options).catch(() => undefined);
    return !!again && again.problems.length > 0 && signature(again.problems) === wanted;
  });
}

/** Shrinks a failing program and writes it as a corpus regression case; returns the file. */
export async function saveRegression(program: Program, result: FuzzResult, options: FuzzOptions, dir = regressionsDir): Promise<string> {
  const smallest = await shrinkFailure(program, result, options);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `fuzz-seed-${program.seed}.ts`);
  const why = result.problems[0]!.split("\n").slice(0, 12).map((line) => `// ${line}`).join("\n");
  writeFileSync(file, printProgram(smallest, `// Shrunk from fuzz seed ${program.seed}. It failed with:\n${why}\n`));
  return relative(conformanceDir, file);
}

export interface BatchReport {
  programs: number;
  crashPoints: number;
  failures: Array<{ seed: number; problems: string[]; regression?: string }>;
}

export async function fuzzBatch(
  first: number,
  count: number,
  options: FuzzOptions & { saveRegressions: boolean; onProgress?: (done: number) => void },
): Promise<BatchReport> {
  const report: BatchReport = { programs: 0, crashPoints: 0, failures: [] };
  for (let seed = first; seed < first + count; seed++) {
    const program = generate(seed);
    const result = await check(program, options);
    report.programs++;
    report.crashPoints += result.crashPoints;
    if (result.problems.length) {
      const regression = options.saveRegressions ? await saveRegression(program, result, options) : undefined;
      report.failures.push({ seed, problems: result.problems, regression });
    }
    options.onProgress?.(report.programs);
  }
  return report;
}
