/**
 * The probe module corpus handlers import. `probe(label)` records that a
 * statement (or a step body: label "step:<id>") executed, in which
 * incarnation; it is also where a crash "at a statement" is injected.
 *
 * Label conventions (see README): "step:<id>" = a step body; labels starting
 * with "~" are inside an awaited expression that resume re-evaluates (e.g. a
 * helper function that calls steps), so they may legitimately run again.
 */
import { activeWorld, committedFailures, currentIncarnation, CrashSignal, ZombieError } from "./harness/world.js";

export function probe(label: string): void {
  const world = activeWorld();
  if (!world) return;
  const incarnation = currentIncarnation();
  if (world.dead.has(incarnation)) throw new ZombieError();
  if (incarnation === 1 && world.crash.atProbe === world.probes(1).length) {
    world.kill(1);
    world.onProbeCrash(1);
    throw new CrashSignal(label);
  }
  world.log.push({ kind: "probe", label, incarnation });
}

/**
 * True while step `id` has failed fewer than `failures` times: a step body
 * calls it after its probe to fail its first attempts, like a flaky service.
 * On the real runtime "failed" means a failed attempt the runtime committed
 * (an attempt cut short by a crash does not count, for the service nor for
 * the retry budget); in the oracle every earlier execution was a failure.
 */
export function failsFirst(id: string, failures: number): boolean {
  const world = activeWorld();
  if (!world) return false;
  if (world.kind === "oracle") return world.probes().filter((p) => p.label === `step:${id}`).length <= failures;
  return committedFailures(world.checkpoints(), id) < failures;
}
