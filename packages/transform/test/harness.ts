/**
 * A small, faithful implementation of the machine.ts `$` contract for tests:
 * memo by stable step id (`id`, `id:1`, …), counters snapshotted on `$.state`
 * assignment, a checkpoint (state, live locals, counters) saved through the runtime's
 * own serializer on every step settlement, crash injection after checkpoint N (the
 * pending `resume` call is abandoned) and resume from the saved checkpoint in a fresh
 * `resume` call. The same step semantics run the uncompiled handler (the oracle).
 */
import { StepError, deserialize, serialize } from "@durable-endpoints/runtime";
import type { MachineDefinition, StepTools } from "@durable-endpoints/runtime";
import { finish, snapshotLocals } from "@durable-endpoints/runtime/testing";
import { transformSync } from "esbuild";
import { transform } from "../src/index.js";

export interface Checkpoint {
  state: number;
  locals: string;
  counters: Record<string, number>;
}

type Outcome = { ok: true; value: string } | { ok: false; error: string };

/** The durable part of a run: what a store would hold. */
export class RunRecord {
  readonly memo = new Map<string, Outcome>();
  checkpoint: Checkpoint | null = null;
  checkpoints = 0;
  /** how many times each stable step id's callback ran */
  readonly executions = new Map<string, number>();
}

export interface Scenario {
  /** attempts before a step's failure becomes final */
  retries?: number;
  /** waitForEvent results by step id (default null = timeout) */
  events?: Record<string, unknown>;
}

const CRASH = Symbol("crash");

/** Step tools with durable-step semantics; `onSettled` is the checkpoint hook. */
function stepTools(record: RunRecord, scenario: Scenario, counters: Map<string, number>, onSettled: () => Promise<boolean>): StepTools {
  const stable = (id: string) => {
    const n = counters.get(id) ?? 0;
    counters.set(id, n + 1);
    return n === 0 ? id : `${id}:${n}`;
  };
  const settle = async <T>(id: string, produce: () => Promise<T>): Promise<T> => {
    const key = stable(id);
    let outcome = record.memo.get(key);
    if (!outcome) {
      outcome = await attempt(key, produce);
      record.memo.set(key, outcome);
      if (!(await onSettled())) return new Promise<T>(() => {}); // crashed: never settles
    }
    if (outcome.ok) return deserialize<T>(outcome.value);
    throw deserialize<Error>(outcome.error);
  };
  const attempt = async (key: string, produce: () => Promise<unknown>): Promise<Outcome> => {
    let last: unknown;
    for (let i = 0; i <= (scenario.retries ?? 2); i++) {
      try {
        record.executions.set(key, (record.executions.get(key) ?? 0) + 1);
        return { ok: true, value: await serialize(await produce()) };
      } catch (err) {
        last = err;
      }
    }
    const cause = last instanceof Error ? last : new Error(String(last));
    return { ok: false, error: await serialize(new StepError(key, cause)) };
  };
  return {
    run: (id, fn) => settle(id, async () => fn()) as never,
    sleep: (id) => settle(id, async () => undefined),
    sleepUntil: (id) => settle(id, async () => undefined),
    waitForEvent: (id) => settle(id, async () => (scenario.events?.[id] ?? null) as never) as never,
  };
}

/** Runs a compiled machine; stops (crashes) right after checkpoint number `crashAfter`. */
export async function runMachine(
  machine: MachineDefinition,
  request: () => Request,
  record: RunRecord,
  scenario: Scenario,
  crashAfter: number | null,
): Promise<Response | typeof CRASH> {
  const saved = record.checkpoint;
  let state = saved?.state ?? 0;
  const locals: Record<string, unknown> = saved ? deserialize(saved.locals) : {};
  const counters = new Map(Object.entries(saved?.counters ?? {}));
  let countersAtState = Object.fromEntries(counters);
  let crashed!: () => void;
  const crash = new Promise<typeof CRASH>((resolve) => (crashed = () => resolve(CRASH)));

  const tools = stepTools(record, scenario, counters, async () => {
    const live = machine.live[state] ?? [];
    // like the runtime, a local absent from `$.locals` (uninitialized) stays absent (the values as they are now:
    // the runtime takes them when the state is entered)
    const values = Object.fromEntries(live.filter((name) => name in locals).map((name) => [name, locals[name]]));
    record.checkpoint = { state, locals: await finish(snapshotLocals(values, locals, machine.recreate)), counters: countersAtState };
    record.checkpoints++;
    if (crashAfter !== null && record.checkpoints === crashAfter) {
      crashed();
      return false;
    }
    return true;
  });
  const $ = {
    get state() {
      return state;
    },
    set state(value: number) {
      state = value;
      countersAtState = Object.fromEntries(counters);
    },
    locals,
    step: tools,
  };
  current = tools;
  return Promise.race([machine.resume($, request()), crash]);
}

/** The oracle: the same handler, uncompiled, as plain async code. */
export async function runPlain(handler: (req: Request) => Promise<Response>, request: () => Request, scenario: Scenario): Promise<Response> {
  current = stepTools(new RunRecord(), scenario, new Map(), async () => true);
  return handler(request());
}

/** The ambient `step` of the evaluated module delegates to the run in progress. */
let current: StepTools | null = null;
const ambientStep: StepTools = {
  run: (id, fn) => current!.run(id, fn),
  sleep: (id, d) => current!.sleep(id, d),
  sleepUntil: (id, d) => current!.sleepUntil(id, d),
  waitForEvent: (id, o) => current!.waitForEvent(id, o),
};

export interface Loaded {
  plain: (req: Request) => Promise<Response>;
  machine: MachineDefinition;
  compiled: string;
  probes: string[];
}

/**
 * Compile `module` (a module importing `step` from "inngest" and exporting `handler =
 * inngest.endpoint(…)`) and evaluate both versions. `probe(label)` inside the handler
 * records what ran.
 */
export function load(module: string, filename = "/app/src/handler.ts"): Loaded {
  const result = transform(module, { filename, root: "/app" });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new Error(errors.map((d) => `${d.message}\n${d.frame}`).join("\n"));
  const probes: string[] = [];
  const evaluate = (source: string) => {
    // JavaScript runs as written: esbuild would rename shadowed locals (visible in function names)
    const code = filename.endsWith(".js") ? source : transformSync(source, { loader: "ts", format: "esm", target: "es2022" }).code;
    const body = code
      .replace(/^import .*$/gm, "")
      .replace(/^export const (\w+) =/gm, "const $1 =")
      .replace(/^export \{[^}]*\};?$/gm, "")
      .concat("\nreturn handler;");
    const inngest = { endpoint: (h: unknown) => h };
    return new Function("step", "inngest", "probe", "StepError", body)(ambientStep, inngest, (label: string) => probes.push(label), StepError);
  };
  return { plain: evaluate(module), machine: evaluate(result.code), compiled: result.code, probes };
}

export interface Observed {
  status: number;
  headers: [string, string][];
  body: string;
  probes: string[];
}

export async function observe(response: Response, probes: string[]): Promise<Observed> {
  return { status: response.status, headers: [...response.headers], body: await response.text(), probes: [...probes] };
}

export const isCrash = (value: unknown): value is typeof CRASH => value === CRASH;

/**
 * The equivalence check used by every construct test: the compiled machine, run
 * straight through and crashed after every checkpoint then resumed, must give the
 * uncompiled handler's Response and probe sequence, and no completed step may run twice.
 */
export async function expectEquivalent(
  loaded: Loaded,
  options: { url?: string; init?: RequestInit; scenario?: Scenario } = {},
): Promise<{ plain: Observed; checkpoints: number }> {
  const request = () => new Request(options.url ?? "http://localhost/api", options.init);
  const scenario = options.scenario ?? {};
  const { probes } = loaded;
  const fail = (message: string, detail: unknown) => {
    throw new Error(`${message}\n${JSON.stringify(detail, null, 2)}\n--- compiled ---\n${loaded.compiled}`);
  };

  probes.length = 0;
  const plain = await observe(await runPlain(loaded.plain, request, scenario), probes);

  probes.length = 0;
  const straight = new RunRecord();
  const first = await runMachine(loaded.machine, request, straight, scenario, null);
  if (isCrash(first)) return fail("unexpected crash", {});
  const compiled = await observe(first, probes);
  if (JSON.stringify(compiled) !== JSON.stringify(plain)) fail("compiled run differs from the plain handler", { plain, compiled });

  for (let k = 1; k <= straight.checkpoints; k++) {
    probes.length = 0;
    const record = new RunRecord();
    const crashed = await runMachine(loaded.machine, request, record, scenario, k);
    if (!isCrash(crashed)) fail(`expected a crash after checkpoint ${k}`, {});
    const resumed = await runMachine(loaded.machine, request, record, scenario, null);
    if (isCrash(resumed)) return fail("unexpected crash", {});
    const observed = await observe(resumed, probes);
    if (JSON.stringify(observed) !== JSON.stringify(plain)) fail(`crash after checkpoint ${k} + resume differs`, { plain, observed, checkpoint: record.checkpoint });
    for (const [key, count] of straight.executions) {
      if (record.executions.get(key) !== count) fail(`step ${key} ran ${record.executions.get(key)} times, expected ${count}`, { k });
    }
  }
  return { plain, checkpoints: straight.checkpoints };
}
