/**
 * Executes one request of one corpus module in a given mode:
 *  - runOracle: uncompiled on the oracle → the expected outcome;
 *  - runReal:   compiled or uncompiled (replay) on the real runtime over a
 *    memory store, optionally crashing incarnation 1 at a planned point and
 *    resuming in a fresh incarnation 2 (new module instance, new client, same
 *    store) once the dead one's lease has expired.
 */
import type { Store } from "@durable-endpoints/runtime";
import type { RequestSpec, Scenario, ScriptedEvent } from "../scenario.js";
import type { Expected } from "./check.js";
import { processStore, type ProcessStore } from "./crash-store.js";
import { buildRequest, drive, snapshot, type Endpoint, type ResponseSnapshot } from "./drive.js";
import { evaluate, prepare } from "./loader.js";
import { setOracleEvents } from "./oracle-runtime.js";
import { setLoadingProcess, type MachineMutation, type SimulatedProcess } from "./process.js";
import { inIncarnation, setWorld, World, type CrashPlan } from "./world.js";

const LEASE_MS = Number(process.env.CONFORMANCE_LEASE_MS ?? 100);
const POLL_MS = 100;
/** The runtime logs every simulated crash's fallout; CONFORMANCE_VERBOSE=1 shows it. */
const logger = process.env.CONFORMANCE_VERBOSE ? console : { info() {}, warn() {}, error() {} };
const RUN_TIMEOUT_MS = Number(process.env.CONFORMANCE_RUN_TIMEOUT_MS ?? 15_000);

function endpointOf(module: Record<string, unknown>, name = "handler"): Endpoint {
  const endpoint = module[name];
  if (typeof endpoint !== "function") throw new Error(`module has no endpoint export "${name}"`);
  return endpoint as Endpoint;
}

export async function loadScenario(file: string): Promise<Scenario> {
  const module = await evaluate(await prepare(file, { compiled: false, flavor: "oracle" }));
  const scenario = module.scenario as Scenario | undefined;
  if (!scenario) throw new Error(`${file} exports no scenario`);
  return scenario;
}

export interface OracleResult {
  expected: Expected;
  probes: string[];
}

export async function runOracle(file: string, spec: RequestSpec, scenario: Scenario): Promise<OracleResult> {
  const world = new World("oracle");
  setWorld(world);
  setOracleEvents(scenario.events);
  try {
    const endpoint = endpointOf(await evaluate(await prepare(file, { compiled: false, flavor: "oracle" })), spec.endpoint);
    let expected: Expected;
    try {
      expected = { kind: "response", response: await snapshot(await inIncarnation(1, () => endpoint(buildRequest(spec)))) };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      expected = { kind: "threw", name: e.name, message: e.message };
    }
    return { expected, probes: world.probes().map((p) => p.label) };
  } finally {
    setWorld(undefined);
  }
}

export interface RealOptions {
  compiled: boolean;
  crash?: CrashPlan;
  /** how incarnation 2 picks the run up: the same Idempotency-Key request (default) or the scheduler */
  resume?: "request" | "scheduler";
  /** test-only mutation of the compiled machine */
  mutate?: MachineMutation;
}

export interface RealResult {
  response: ResponseSnapshot;
  world: World;
  crashed: boolean;
  /** checkpoints committed by incarnation 1 */
  checkpoints: number;
}

interface Incarnation extends SimulatedProcess {
  view: ProcessStore;
  module: Record<string, unknown>;
}

let runs = 0;

async function startIncarnation(
  incarnation: number,
  shared: Store,
  world: World,
  modulePath: string,
  options: RealOptions,
): Promise<Incarnation> {
  const crashAfter = incarnation === 1 ? options.crash?.afterCheckpoint : undefined;
  const view = processStore(shared, world, incarnation, crashAfter);
  const process: SimulatedProcess = {
    incarnation,
    options: { store: view.store, leaseMs: LEASE_MS, pollMs: POLL_MS, logger },
    clients: [],
    mutate: options.mutate,
  };
  setLoadingProcess(process);
  try {
    const module = await inIncarnation(incarnation, () => evaluate(modulePath));
    return { ...process, view, module };
  } finally {
    setLoadingProcess(undefined);
  }
}

const CRASHED = Symbol("crashed");

/** `work`, or a clear error once the run deadline passed (a hung run must fail its case, not the file). */
async function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function untilCrashOrDone<T>(work: Promise<T>, crashed: Promise<void>): Promise<T | typeof CRASHED> {
  // once crashed, whatever the dead incarnation's request does is irrelevant
  work.catch(() => {});
  return withDeadline(Promise.race([work, crashed.then((): typeof CRASHED => CRASHED)]), "the run neither finished nor crashed");
}

async function untilLeaseExpired(shared: Store): Promise<void> {
  const [run] = await shared.listRuns({ limit: 1 });
  const wait = (run?.leaseExpiresAt ?? 0) - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
}

export async function runReal(file: string, spec: RequestSpec, scenario: Scenario, options: RealOptions): Promise<RealResult> {
  const { memoryStore } = await import("@durable-endpoints/runtime/memory");
  const world = new World("real", options.crash);
  setWorld(world);
  const shared: Store = memoryStore();
  const modulePath = await prepare(file, { compiled: options.compiled, flavor: "real" });
  const key = `conformance-${process.pid}-${++runs}`;
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const incarnations: Incarnation[] = [];
  const pump = eventPump(shared, () => incarnations.at(-1), scenario.events);
  try {
    const first = await startIncarnation(1, shared, world, modulePath, options);
    incarnations.push(first);
    world.onProbeCrash = () => first.view.freeze();
    const outcome = await untilCrashOrDone(
      inIncarnation(1, () => drive(endpointOf(first.module, spec.endpoint), spec, key, deadline)),
      first.view.crashed,
    );
    if (outcome !== CRASHED) return { response: outcome, world, crashed: false, checkpoints: first.view.checkpoints };

    await untilLeaseExpired(shared);
    const second = await startIncarnation(2, shared, world, modulePath, options);
    incarnations.push(second);
    const endpoint = endpointOf(second.module, spec.endpoint);
    if (options.resume === "scheduler") await inIncarnation(2, () => untilSchedulerFinishes(second, shared, deadline));
    const response = await withDeadline(inIncarnation(2, () => drive(endpoint, spec, key, deadline)), "the resumed run did not finish");
    return { response, world, crashed: true, checkpoints: first.view.checkpoints };
  } finally {
    pump.stop();
    for (const { view, clients } of incarnations) {
      // a dead incarnation's close() never settles (its store is frozen): only stop its timers
      for (const client of clients) view.frozen ? void client.close().catch(() => {}) : await client.close();
    }
    await shared.close();
    setWorld(undefined);
  }
}

/** Incarnation 2 without any request: its scheduler must find the orphaned run and finish it. */
async function untilSchedulerFinishes(incarnation: Incarnation, shared: Store, deadline: number): Promise<void> {
  await incarnation.clients[0]!.start();
  for (;;) {
    const [run] = await shared.listRuns({ limit: 1 });
    if (run && (run.status === "completed" || run.status === "failed")) return;
    if (Date.now() > deadline) throw new Error(`the scheduler did not finish the run (status ${run?.status})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Delivers scripted events: whenever a wait whose step id has a script is
 * open, the live incarnation's client sends the script's events. Event ids
 * are derived from the wait, so a re-send after a crash is deduplicated.
 */
function eventPump(
  shared: Store,
  live: () => Incarnation | undefined,
  events: Record<string, ScriptedEvent[]> | undefined,
): { stop(): void } {
  if (!events || !Object.keys(events).length) return { stop() {} };
  const names = [...new Set(Object.values(events).flat().map((e) => e.name))];
  const sent = new Set<string>();
  let busy = false;
  const tick = async () => {
    const current = live();
    if (busy || !current?.clients[0]) return;
    busy = true;
    try {
      for (const name of names) {
        for (const wait of await shared.findWaits(name, Date.now())) {
          const script = events[wait.stepId.replace(/:\d+$/, "")];
          const key = `${current.incarnation}/${wait.runId}/${wait.stepId}`;
          if (!script || sent.has(key)) continue;
          sent.add(key);
          const payload = script.map((e, i) => ({ name: e.name, data: e.data ?? {}, id: `${wait.runId}/${wait.stepId}/${i}` }));
          const client = current.clients[0];
          void inIncarnation(current.incarnation, () => client.send(payload)).catch(() => sent.delete(key));
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), 5);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
