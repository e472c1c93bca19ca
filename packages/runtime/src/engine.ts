/** Runs executions of leased runs: lease renewal, replay detection, re-runs after a lost race with an event. */

import type { Core, EndpointDef } from "./core.js";
import { ambient, Execution, type Outcome } from "./execution.js";
import { deserialize } from "./serialize.js";
import type { RunRecord, Store } from "./store.js";

export class Engine {
  private active = new Map<Execution, RunRecord>();

  constructor(
    private readonly core: Core,
    /** told when a run suspended until `wakeAt` (the scheduler re-arms) */
    private readonly onSuspended: (wakeAt: number | null) => void,
  ) {}

  /** Resumes a run whose lease we hold, with its persisted request. */
  resume(def: EndpointDef, run: RunRecord): Promise<Outcome> {
    return this.execute(def, run, deserialize<Request>(run.request), false);
  }

  /** Executes a run whose lease we hold until it finishes or suspends. Never rejects. */
  async execute(def: EndpointDef, run: RunRecord, req: Request, fresh: boolean): Promise<Outcome> {
    const store = await this.core.store();
    for (;;) {
      const replay = !fresh && (def.machine === null || run.version !== def.machine.version);
      if (def.machine === null) {
        this.core.warnOnce(
          "replay",
          `[durable] endpoint "${def.id}" is not compiled: running in replay mode (every resume re-runs the handler from the top). Add the @durable-endpoints/unplugin build plugin to compile it.`,
        );
      } else if (replay) {
        this.core.logger.info(`[durable] run ${run.id} was started by version ${run.version} of "${def.id}", ${def.machine.version} is loaded: replaying it from its recorded steps`);
      }
      const steps = replay ? await store.listSteps(run.id) : null;
      const execution = new Execution(this.core, def, run, req, fresh, store, steps);
      this.active.set(execution, run);
      const renew = setInterval(() => {
        store.renewLease(run.id, run.fence, this.core.leaseMs, Date.now()).then(
          (held) => held || execution.lose(),
          (error) => this.core.logger.warn(`[durable] run ${run.id}: lease renewal failed`, error),
        );
      }, Math.max(10, this.core.leaseMs / 3));
      (renew as { unref?: () => void }).unref?.();
      let outcome: Outcome;
      try {
        outcome = await execution.execute();
      } finally {
        clearInterval(renew);
        this.active.delete(execution);
        ambient.end(execution);
      }
      if (outcome.kind !== "suspended") return outcome;
      this.onSuspended(outcome.wakeAt);
      if (!outcome.due) return outcome;
      const again = await store.acquireLease(run.id, this.core.owner, this.core.leaseMs, Date.now());
      if (!again) return outcome;
      run = again;
      fresh = false;
      req = deserialize<Request>(run.request);
    }
  }

  /** Stops every execution (no more writes) and gives up its lease so another process can take over at once. */
  async close(store: Store): Promise<void> {
    const running = [...this.active];
    for (const [execution] of running) execution.lose();
    await Promise.allSettled(running.map(([, run]) => store.releaseLease(run.id, run.fence)));
  }
}
