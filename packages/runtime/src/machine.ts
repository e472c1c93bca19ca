/**
 * The contract between compiled handlers and the runtime.
 *
 * This file is the ONE place where the shape of generated code is agreed on.
 * `@durable-endpoints/transform` emits objects of type {@link MachineDefinition}
 * (it imports {@link MACHINE_FORMAT} and {@link MachineStepInfo} from here, through the
 * `@durable-endpoints/runtime/machine` subpath); `@durable-endpoints/runtime` executes
 * them. Change both sides together, and bump {@link MACHINE_FORMAT} when the change is
 * not backward compatible. The compiler also runs in the browser: this module must not
 * import anything at run time (type imports only).
 *
 * ## What the transform emits
 *
 * For
 *
 * ```ts
 * export const handler = inngest.endpoint(async (req) => {
 *   const ids = new URL(req.url).searchParams.getAll("id");
 *   let total = 0;
 *   for (let i = 0; i < ids.length; i++) {
 *     total += (await step.run("price", () => fetchPrice(ids[i]))).price;
 *   }
 *   await step.sleep("cool-down", "30s");
 *   return Response.json({ total });
 * });
 * ```
 *
 * in `src/api/checkout.ts`, the transform emits (comments and all):
 *
 * ```ts
 * export const handler = inngest.endpoint({
 *   durable: 1,                                  // MACHINE_FORMAT
 *   id: "src/api/checkout.ts#handler",           // module path (relative to root) + "#" + binding name
 *   name: "handler",
 *   version: "817e0807aea6",                     // hash of the normalized handler AST
 *   live: { 2: ["ids", "total", "i"], 5: ["total"] },
 *   steps: [
 *     { id: "price", kind: "run", line: 6, state: 2 },
 *     { id: "cool-down", kind: "sleep", line: 8, state: 5 },
 *   ],
 *   async resume($, req) {
 *     const L = $.locals;
 *     let t1;
 *     for (;;) {
 *       switch ($.state) {
 *         case 0:
 *           L.ids = new URL(req.url).searchParams.getAll("id");
 *           L.total = 0;
 *           L.i = 0;
 *           $.state = 1;
 *         // loop head (line 5)
 *         case 1:
 *           if (!(L.i < L.ids.length)) {
 *             $.state = 4;
 *             continue;
 *           }
 *           $.state = 2;
 *         // step.run("price") (line 6)
 *         case 2:
 *           t1 = await $.step.run("price", () => fetchPrice(L.ids[L.i]));
 *           L.total += t1.price;
 *           $.state = 3;
 *         // loop continue (line 5)
 *         case 3:
 *           L.i++;
 *           $.state = 1;
 *           continue;
 *         // after loop (line 5)
 *         case 4:
 *           $.state = 5;
 *         // step.sleep("cool-down") (line 8)
 *         case 5:
 *           await $.step.sleep("cool-down", "30s");
 *           return Response.json({
 *             total: L.total
 *           });
 *         default:
 *           throw new Error(`durable machine: unknown state ${$.state}`);
 *       }
 *     }
 *   },
 * });
 * ```
 *
 * States are numbered in the order their cases appear. `live` has an entry for every state
 * that starts with an await (the only places a checkpoint is taken), `steps` one per await
 * site (one per step of a `Promise.all`; `{ id: null, kind: "await" }` for an await of
 * anything else). `t1` is not live across any await, so it stays a plain variable.
 * A handler that needs a `try` around awaits also gets a `catch` in `resume` that routes an
 * exception by `$.state` to the lowered `catch`/`finally` case.
 *
 * The object needs no import: `inngest.endpoint()` recognises it by `durable`.
 *
 * ## Execution model: "resume = re-evaluate the pending await"
 *
 * 1. Every `await` in the handler body (of a step or of anything else) gets its
 *    own state number S. Generated code assigns `$.state = S` and then enters
 *    `case S`, whose code *starts with* that await. The only code that runs in
 *    `case S` before the await is the awaited expression itself, made of
 *    re-evaluable parts (literals, reads of locals, function/arrow expressions,
 *    template literals and member reads over those, and the call being awaited).
 *    Any other sub-expression evaluated before the await (calls, `i++`,
 *    assignments, `a()` in `a() + await b()`) is hoisted by the transform into a
 *    temporary local *before* the state boundary.
 *
 * 2. A checkpoint is taken by the runtime whenever a step settles while the
 *    machine sits in state S: one store transaction with the step's outcome and
 *    the run's `(state = S, live locals of S — the values they held when S was
 *    entered, serialized at this checkpoint —, step-ID counters as they were when
 *    S was entered)`. Entering S runs no user code (no getter of a saved value). Resuming the run calls `resume($, req)` with `$.state = S`
 *    and `$.locals` restored: the await at S is evaluated again and every step
 *    it calls returns its memoized outcome (result, or a thrown StepError), or
 *    runs its next attempt. Nothing before S runs again.
 *
 *    This one rule covers direct steps, retries (the step is re-attempted at S),
 *    sleeps and waits (completed by the scheduler / an event, then S re-reads
 *    the memo), `Promise.all([...steps])`, and steps called inside helper
 *    functions (`await helper()` is re-executed; its steps are memoized).
 *
 * 3. `$.state` is an accessor: assigning it tells the runtime that a new
 *    resume point has been reached (so it can snapshot the step-ID counters).
 *    Generated code must assign `$.state = S` before evaluating the await at S
 *    even when falling through from the previous case.
 *
 * 4. Only names listed in `live[S]` are saved at a checkpoint in state S, read
 *    from `$.locals[name]`; a listed name absent from `$.locals` is not saved,
 *    so it is absent again on resume (the compiler keeps a `let` that is not
 *    initialized yet that way). Locals not live across any await can stay plain JS
 *    variables inside `resume`. Function declarations (and `const f = () => …`
 *    that close only over captured locals) are re-created at the top of
 *    `resume` instead of being saved. A local listed in `recreate` (a `const`
 *    made by a call, e.g. `new Client(key)`, that the transform proved can be
 *    made again: see packages/transform/README.md) is saved when its value can
 *    be serialized; when it cannot, the checkpoint leaves it out instead of
 *    failing and saves the locals its initializer reads instead (listed with
 *    it: `recreate: { client: ["key"] }`, as they were when the state was
 *    entered), and the top of `resume` makes it again when the restored
 *    `$.locals` lack it:
 *    `if (!("client" in L) && $.state === 2) L.client = new Client(L.key);`
 *
 * 5. Try/catch/finally, labels, loops and completions (`return` pending inside
 *    a `finally` that awaits, …) are lowered by the transform into plain code
 *    over `$.state` and `$.locals` — the runtime knows nothing about them.
 *    A pending completion kept across an await is stored in `$.locals` (Errors
 *    and Responses are serializable).
 *
 * 6. Suspension (sleep, waitForEvent, a failed attempt waiting for its retry)
 *    is the runtime's business: the step's promise simply never settles and the
 *    runtime abandons the pending `resume` call. Generated code must not rely
 *    on `finally` blocks of its own running at suspension.
 *
 * 7. Replay fallback: when a run was started by another `version`, the runtime
 *    starts this machine at state 0 with empty locals and counters and serves
 *    every step from the memo by stable step ID — i.e. plain memoized replay.
 *
 * 8. The machine is called with the run's `req`: on the first execution the
 *    incoming Request, on resume one rebuilt from the persisted snapshot
 *    (method, URL, non-sensitive headers, body).
 *
 * The same `StepTools` object is available as `$.step` and, inside the run, as
 * the ambient `step` export (AsyncLocalStorage), so a helper function that
 * imports `step` works in compiled code too.
 */

import type { StepTools } from "./types.js";

/** Format of the generated object. Bump on incompatible changes. */
export const MACHINE_FORMAT = 1 as const;

/** Kinds of suspension points a machine can contain. */
export type StepKind = "run" | "sleep" | "sleepUntil" | "waitForEvent" | "await";

/** Static description of one await site (for tools; the runtime does not need it to execute). */
export interface MachineStepInfo {
  /** the step's static id (or the template source, e.g. "item-${i}", when dynamic); null for a plain await */
  id: string | null;
  kind: StepKind;
  /** 1-based line of the await in the original source */
  line: number;
  /** the state number whose code starts with this await */
  state: number;
}

/** What the compiled handler receives as `$`. Implemented by the runtime. */
export interface MachineContext {
  /** Current resume point. Assign before evaluating each await (see rule 3). */
  state: number;
  /** Captured locals. Restored on resume; saved per `live[state]` at checkpoints. */
  readonly locals: Record<string, unknown>;
  /** Step tools bound to this run. */
  readonly step: StepTools;
}

/** The object a compiled `inngest.endpoint(...)` receives instead of a function. */
export interface MachineDefinition {
  /** Brand and format number: {@link MACHINE_FORMAT}. */
  readonly durable: typeof MACHINE_FORMAT;
  /** Stable endpoint id: module path relative to the project root + "#" + binding name. */
  readonly id: string;
  /** Human name (the binding / export name, or "default"). */
  readonly name: string;
  /** Hash of the normalized handler (formatting- and comment-insensitive). */
  readonly version: string;
  /** Per state: the locals that must be saved at a checkpoint taken in that state. */
  readonly live: Readonly<Record<number, readonly string[]>>;
  /** Locals a checkpoint leaves out when they cannot be serialized, saving the locals listed with them instead: `resume` re-creates them (rule 4). */
  readonly recreate?: Readonly<Record<string, readonly string[]>>;
  /** Await sites, for inspection tools. */
  readonly steps?: readonly MachineStepInfo[];
  /** The state machine. Runs from `$.state` until it returns a Response or throws. */
  resume($: MachineContext, req: Request): Promise<Response>;
}

/** True when `value` is a compiled machine (as opposed to a plain async handler). */
export function isMachine(value: unknown): value is MachineDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { durable?: unknown }).durable === MACHINE_FORMAT &&
    typeof (value as { resume?: unknown }).resume === "function"
  );
}
