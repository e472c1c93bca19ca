/**
 * The catalogue of every diagnostic the compiler can report, in code order (DE1xxx). Each
 * entry takes the node it is about and reports itself into the compilation in progress
 * (`diag.directEval(node)`); the message says what is wrong and how to fix it.
 */
import { codeFrameColumns } from "@babel/code-frame";
import type { SourceLocation } from "@babel/types";

export type Severity = "error" | "warning";

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** 1-based line, 0-based column (Babel's convention) of the offending node */
  line: number;
  column: number;
  /** code frame pointing at the node */
  frame: string;
}

export const isError = (d: Diagnostic): boolean => d.severity === "error";

/** What a diagnostic points at: a node, or just a position. */
export type Located = { loc?: SourceLocation | null } | null | undefined;

interface Compilation {
  code: string;
  diagnostics: Diagnostic[];
}

/** The compilation whose diagnostics the catalogue reports into (the compiler is synchronous). */
let current: Compilation | null = null;

/** Runs `compile` over `code` and returns its result with everything the catalogue reported meanwhile. */
export function collectDiagnostics<T>(code: string, compile: () => T): { result: T; diagnostics: Diagnostic[] } {
  const outer = current;
  const compilation: Compilation = { code, diagnostics: [] };
  current = compilation;
  try {
    return { result: compile(), diagnostics: compilation.diagnostics };
  } finally {
    current = outer;
  }
}

function report(node: Located, code: string, severity: Severity, problem: string, fix: string): void {
  if (!current) throw new Error(`diagnostic ${code} reported outside collectDiagnostics()`);
  const start = node?.loc?.start ?? { line: 1, column: 0 };
  current.diagnostics.push({
    code,
    severity,
    message: `${problem} Fix: ${fix}`,
    line: start.line,
    column: start.column,
    frame: codeFrameColumns(current.code, { start: { line: start.line, column: start.column + 1 } }, { highlightCode: false }),
  });
}

export const syntaxError = (at: Located, detail: string) =>
  report(at, "DE1000", "error", `Could not parse this module: ${detail}.`, "correct the syntax error.");

export const generatorHandler = (node: Located) =>
  report(
    node,
    "DE1001",
    "error",
    "A durable endpoint handler cannot be a generator and cannot `yield`.",
    "write the handler as a plain `async` function and use `await` instead of `yield`.",
  );

export const withStatement = (node: Located) =>
  report(node, "DE1002", "error", "`with` cannot be compiled into a resumable handler.", "access the object's properties explicitly.");

export const directEval = (node: Located) =>
  report(
    node,
    "DE1003",
    "error",
    "Direct `eval` can read and write any local, so the compiler cannot know what to save at a checkpoint.",
    "remove `eval` (or move it into a helper function outside the handler).",
  );

export const argumentsObject = (node: Located) =>
  report(
    node,
    "DE1004",
    "error",
    "`arguments` is not available in a compiled handler (it is resumed with only the request).",
    "name the request parameter and use it instead of `arguments`.",
  );

export const unawaitedStepCallback = (node: Located, step: string) =>
  report(
    node,
    "DE1005",
    "error",
    `The step \`${step}\` runs inside a callback that nothing awaits, so the handler would continue before it is checkpointed.`,
    "await the steps, e.g. `await Promise.all(ids.map((id) => step.run(...)))`, or use a `for…of` loop with `await`.",
  );

export const forAwait = (node: Located) =>
  report(
    node,
    "DE1006",
    "error",
    "`for await…of` cannot be resumed: the async iterator it consumes cannot be saved at a checkpoint.",
    "collect the values first (e.g. `const items = await step.run(\"collect\", async () => Array.fromAsync(source))`), then loop with `for…of`.",
  );

export const classInstanceLive = (node: Located, name: string, className: string, reason: string) =>
  report(
    node,
    "DE1007",
    "warning",
    `\`${name}\` holds an instance of class \`${className}\` and is used after an await: a checkpoint cannot save it (class instances cannot be serialized) and a resumed run cannot make it again from its initializer, because ${reason} — the checkpoint will fail at run time.`,
    "create it in a `const` from values that do not change, and change or use it only in step callbacks and after the awaits (it is then re-created on resume), or keep plain data (objects, arrays, Maps, Dates…) in locals that cross an await.",
  );

export const handlerNotFound = (node: Located, name: string) =>
  report(
    node,
    "DE1008",
    "warning",
    `The endpoint handler \`${name}\` is not an async function declared in this module, so it is not compiled (runs in replay mode).`,
    "pass an inline `async` function, or a function declared in the same module.",
  );

export const unsupportedAwaitPosition = (node: Located, what: string) =>
  report(node, "DE1009", "error", `\`await\` inside ${what} is not supported by the compiler.`, "move the awaited value into a local first: `const value = await …;`.");

export const thisInHandler = (node: Located) =>
  report(node, "DE1010", "error", "`this` inside a `function` handler has no meaning once the handler is resumed.", "use an arrow function handler, or avoid `this`.");

export const reassignedHandlerParameter = (node: Located) =>
  report(
    node,
    "DE1011",
    "warning",
    "The request parameter is reassigned; the compiled handler saves the new value at checkpoints, which works only if it is serializable.",
    "assign the new value to a separate local instead.",
  );

export const unawaitedStep = (node: Located, step: string) =>
  report(
    node,
    "DE1012",
    "error",
    `\`${step}(…)\` must be awaited where it is called: a pending step's promise cannot be kept in a local across a checkpoint, and an un-awaited step is not checkpointed before the handler goes on.`,
    "await it in the same statement, e.g. `const [a, b] = await Promise.all([step.run(\"a\", …), step.run(\"b\", …)])`.",
  );

export const classRecreated = (node: Located, name: string, line: number, privateElements = false) =>
  report(
    node,
    "DE1013",
    "warning",
    privateElements
      ? `Class \`${name}\` is used after the await on line ${line}, so a run resumed there creates it again — a new class with new private names: an object that got its private fields or methods before the checkpoint (a base constructor returning another object gives them to a plain object, which is saved without them) does not have the new class's, so \`obj.#x\` throws and \`#x in obj\` is false (a class cannot be saved at a checkpoint).`
      : `Class \`${name}\` is used after the await on line ${line}, so a run resumed there creates it again — its static initialisers, computed keys or \`extends\` expression run again then (a class cannot be saved at a checkpoint).`,
    privateElements
      ? "declare the class at module level, or keep the objects it marks out of locals that cross an await."
      : "declare the class at module level, or keep its static parts free of side effects.",
  );

export const functionPropertyLost = (node: Located, name: string, kind: "function declaration" | "function" | "class" = "function declaration") =>
  report(
    node,
    "DE1014",
    "warning",
    `\`${name}\` is a ${kind} of the handler that is changed after it is created (a property written, defined or deleted, or its prototype set); the compiled handler re-creates \`${name}\` when a run resumes, so the change is lost after a checkpoint.`,
    `keep the value in a local of its own (e.g. \`let calls = 0\`) instead of a property of the ${kind === "class" ? "class" : "function"}, or declare the ${kind === "class" ? "class" : "function"} and its changes at module level.`,
  );

export const notRecreatable = (node: Located, name: string, reason: string) =>
  report(
    node,
    "DE1015",
    "warning",
    `\`${name}\` is made by a call and used after an await, but a resumed run cannot make it again from its initializer: ${reason}. It is saved at checkpoints instead, so the checkpoint fails at run time if its value cannot be serialized (a class instance, a function, a socket…).`,
    "set the value up in its initializer (e.g. `const client = configure(new Client(key))`), or keep what changes in a local of its own.",
  );

export const globalStateChanged = (node: Located, what: string, line: number) =>
  report(
    node,
    "DE1016",
    "warning",
    `This changes ${what} — state of the process (the global object, a built-in), which a checkpoint does not save: a run resumed at the await on line ${line} or later runs in a new process where the change was never made.`,
    "make the change at module level (every process that loads the module makes it again), or keep the value in a local of the handler.",
  );

export const lostPromiseJobs = (node: Located, what: string) =>
  report(
    node,
    "DE1017",
    "warning",
    `${what} is not awaited, and the handler awaits after it: its callbacks are lost if the run resumes after a later await (a promise's pending callbacks belong to the process that made it; a resumed run starts past this statement in a new process and never runs them).`,
    "await it (`await p.then(…)`), or do the work in a step; write `void …` when it may be lost.",
  );

export const internalError = (node: Located, detail: string) =>
  report(
    node,
    "DE1099",
    "error",
    `Internal compiler error while compiling this handler: ${detail}.`,
    "please report it with this handler; meanwhile simplify the construct around the position shown.",
  );
