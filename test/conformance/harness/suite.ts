/**
 * The checks each case goes through, shared by the corpus tests and the
 * fuzzer. Every function returns problem reports (empty = conforming).
 */
import type { Case } from "./cases.js";
import { withSourceLine } from "./cases.js";
import { checkResumed, checkSameProbes, checkStepsExactlyOnce, compareResponse } from "./check.js";
import type { MachineMutation } from "./process.js";
import { runOracle, runReal, type OracleResult } from "./run.js";
import type { CrashPlan } from "./world.js";

export type { OracleResult };

export async function oracleOf(c: Case): Promise<OracleResult> {
  return runOracle(c.file, c.spec, c.scenario);
}

function report(c: Case, mode: string, problems: Array<string | undefined>): string[] {
  return problems.filter((p): p is string => !!p).map((p) => withSourceLine(c.file, `${c.name} [${mode}]: ${p}`));
}

async function attempt(c: Case, mode: string, work: () => Promise<Array<string | undefined>>): Promise<string[]> {
  try {
    return report(c, mode, await work());
  } catch (error) {
    return report(c, mode, [`did not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`]);
  }
}

/** Compiled, no crash: the oracle's Response and exactly its probe sequence. */
export async function checkCompiled(c: Case, oracle: OracleResult, mutate?: MachineMutation): Promise<string[]> {
  return attempt(c, "compiled", async () => {
    const run = await runReal(c.file, c.spec, c.scenario, { compiled: true, mutate });
    return [compareResponse(oracle.expected, run.response), checkSameProbes(oracle.probes, run.world)];
  });
}

/** Uncompiled on the real runtime (replay): the oracle's Response, every step body as often as the oracle's. */
export async function checkReplay(c: Case, oracle: OracleResult): Promise<string[]> {
  return attempt(c, "replay", async () => {
    const run = await runReal(c.file, c.spec, c.scenario, { compiled: false });
    return [compareResponse(oracle.expected, run.response), checkStepsExactlyOnce(oracle.probes, run.world)];
  });
}

export interface CrashReport {
  problems: string[];
  /** crash points tried */
  points: number;
  /** of which resumed by the scheduler instead of a request */
  viaScheduler: number;
  /** of which the run finished before reaching (timing-dependent checkpoints) */
  notReached: number;
}

function describePlan(plan: CrashPlan, scheduler: boolean): string {
  const where = plan.afterCheckpoint !== undefined ? `crash after checkpoint ${plan.afterCheckpoint}` : `crash at probe #${plan.atProbe}`;
  return scheduler ? `${where}, resumed by the scheduler` : where;
}

/** Every crash point a crash-free run of this case passes: each committed checkpoint and each probe. */
export async function crashPlans(
  c: Case,
  compiled: boolean,
  options: { mutate?: MachineMutation; checkpointsOnly?: boolean } = {},
): Promise<CrashPlan[]> {
  const baseline = await runReal(c.file, c.spec, c.scenario, { compiled, mutate: options.mutate });
  const plans: CrashPlan[] = [];
  for (let n = 1; n <= baseline.checkpoints; n++) plans.push({ afterCheckpoint: n });
  if (options.checkpointsOnly) return plans;
  for (let k = 0; k < baseline.world.probes(1).length; k++) plans.push({ atProbe: k });
  return plans;
}

/**
 * Compiled, crashed at every checkpoint and every probe, resumed in a fresh
 * incarnation: the oracle's Response, and nothing before the last committed
 * checkpoint ran again. `schedulerEvery`: every n-th point resumes through the
 * scheduler rather than the Idempotency-Key request.
 */
export async function checkCrashes(
  c: Case,
  oracle: OracleResult,
  options: {
    schedulerEvery?: number;
    mutate?: MachineMutation;
    compiled?: boolean;
    /** pick which crash points to try (default: all) */
    select?: (plans: CrashPlan[]) => CrashPlan[];
  } = {},
): Promise<CrashReport> {
  const compiled = options.compiled ?? true;
  const result: CrashReport = { problems: [], points: 0, viaScheduler: 0, notReached: 0 };
  let plans: CrashPlan[];
  try {
    plans = await crashPlans(c, compiled, { mutate: options.mutate });
    if (options.select) plans = options.select(plans);
  } catch (error) {
    result.problems.push(...report(c, "crash baseline", [`did not run: ${(error as Error).stack}`]));
    return result;
  }
  for (const [i, plan] of plans.entries()) {
    const scheduler = !!options.schedulerEvery && i % options.schedulerEvery === options.schedulerEvery - 1;
    result.points++;
    if (scheduler) result.viaScheduler++;
    const mode = `${compiled ? "compiled" : "replay"}, ${describePlan(plan, scheduler)}`;
    result.problems.push(
      ...(await attempt(c, mode, async () => {
        const run = await runReal(c.file, c.spec, c.scenario, {
          compiled,
          crash: plan,
          resume: scheduler ? "scheduler" : "request",
          mutate: options.mutate,
        });
        // timing may change the number of checkpoints (a sleep that already elapsed writes none):
        // a crash point the run never reached leaves a crash-free run, checked as such
        if (!run.crashed) {
          result.notReached++;
          return [compareResponse(oracle.expected, run.response), checkSameProbes(oracle.probes, run.world)];
        }
        return [compareResponse(oracle.expected, run.response), checkResumed(oracle.probes, run.world)];
      })),
    );
  }
  return result;
}

/** True when the oracle runs handler code (a non-step probe) before some step body. */
export function hasCodeBeforeAStep(oracle: OracleResult): boolean {
  const firstCode = oracle.probes.findIndex((l) => !l.startsWith("step:") && !l.startsWith("~"));
  return firstCode !== -1 && oracle.probes.slice(firstCode + 1).some((l) => l.startsWith("step:"));
}
