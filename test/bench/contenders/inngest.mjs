/**
 * The real Inngest SDK (4.24) as a replay peer, executed in process.
 *
 * Entry point: `InngestFunction#createExecution(...).start()` — the same call its
 * HTTP request handler makes (`InngestCommHandler#runStep`) once it has parsed
 * the executor's request, with the same options, minus the HTTP parsing and the
 * network. Each `start()` is one executor request: the handler runs from the top,
 * every step found in `stepState` returns its memoized result, and the first new
 * step is run (`step-ran`) or reported (`steps-found`, e.g. a sleep).
 * `@inngest/test`'s InngestTestEngine wraps the same call with mocking and
 * cloning on top; we call it directly to measure the SDK, not the test helper.
 */
import { Inngest } from "inngest";
import { StepMode } from "inngest/types";
import { InngestExecutionEngine, ServerTiming } from "inngest/internals";

const { hashId } = InngestExecutionEngine._internals;
const silent = { info() {}, warn() {}, error() {}, debug() {} };

const client = new Inngest({ id: "bench-peer", isDev: true, logger: silent });
let functions = 0;

/** An Inngest function running `body({ step, event })`. */
export function inngestFunction(body) {
  return client.createFunction({ id: `bench-${++functions}`, triggers: [{ event: "bench/run" }] }, body);
}

/**
 * Executor state holding the given completed steps, in completion order.
 * `steps` are `[userStepId, data]`; repeated ids must already carry Inngest's
 * ":N" suffix (see {@link repeatedIds}).
 */
export function memoState(steps) {
  const state = { stepState: {}, order: [] };
  for (const [id, data] of steps) record(state, hashId(id), data);
  return state;
}

/** Step ids as Inngest names `n` calls of the same id: "s", "s:1", "s:2", … */
export function repeatedIds(id, n) {
  return Array.from({ length: n }, (_, i) => (i === 0 ? id : `${id}:${i}`));
}

function record(state, hashedId, data) {
  state.stepState[hashedId] = { id: hashedId, data };
  state.order.push(hashedId);
}

const event = { name: "bench/run", data: {} };

/** One executor request against `fn` with the given memoized state. */
export function executeOnce(fn, state) {
  const runId = "01BENCHRUN";
  return fn["createExecution"]({
    partialOptions: {
      client,
      runId,
      stepMode: StepMode.Async,
      data: { event, events: [event], runId, attempt: 0 },
      // the SDK adds to this map while it runs; give each request its own copy, as a parsed request body would be
      stepState: { ...state.stepState },
      stepCompletionOrder: state.order,
      reqArgs: [],
      headers: {},
      handlerKind: "main",
      timer: new ServerTiming.ServerTiming(silent),
      disableImmediateExecution: false,
    },
  }).start();
}

/**
 * A whole run driven the way Inngest's executor drives it: one request per step,
 * each carrying every result so far, until the function resolves.
 * Returns the function's result and the number of requests made.
 */
export async function driveRun(fn) {
  const state = { stepState: {}, order: [] };
  for (let requests = 1; ; requests++) {
    const result = await executeOnce(fn, state);
    switch (result.type) {
      case "function-resolved":
        return { data: result.data, requests };
      case "step-ran":
        record(state, result.step.id, result.step.data ?? null);
        break;
      case "steps-found":
        // the executor completes the found ops (sleeps) and calls back with their results
        for (const op of result.steps) record(state, op.id, null);
        break;
      default:
        throw new Error(`Inngest execution ended with "${result.type}": ${JSON.stringify(result.error ?? result)}`);
    }
  }
}
