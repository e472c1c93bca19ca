/**
 * The catalogue of every diagnostic the compiler can report. Each one is a named
 * function with a stable code (DE1xxx); the message says what is wrong and how to fix it.
 */
import { codeFrameColumns } from "@babel/code-frame";
import type { Node } from "@babel/types";

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

/** What a catalogue entry produces; the position and frame are added by {@link DiagnosticSink}. */
export interface DiagnosticDraft {
  code: string;
  severity: Severity;
  message: string;
}

const error = (code: string, problem: string, fix: string): DiagnosticDraft => ({
  code,
  severity: "error",
  message: `${problem} Fix: ${fix}`,
});
const warning = (code: string, problem: string, fix: string): DiagnosticDraft => ({
  code,
  severity: "warning",
  message: `${problem} Fix: ${fix}`,
});

export const syntaxError = (detail: string) =>
  error("DE1000", `Could not parse this module: ${detail}.`, "correct the syntax error.");

export const generatorHandler = () =>
  error(
    "DE1001",
    "A durable endpoint handler cannot be a generator and cannot `yield`.",
    "write the handler as a plain `async` function and use `await` instead of `yield`.",
  );

export const withStatement = () =>
  error("DE1002", "`with` cannot be compiled into a resumable handler.", "access the object's properties explicitly.");

export const directEval = () =>
  error(
    "DE1003",
    "Direct `eval` can read and write any local, so the compiler cannot know what to save at a checkpoint.",
    "remove `eval` (or move it into a helper function outside the handler).",
  );

export const argumentsObject = () =>
  error(
    "DE1004",
    "`arguments` is not available in a compiled handler (it is resumed with only the request).",
    "name the request parameter and use it instead of `arguments`.",
  );

export const unawaitedStepCallback = (step: string) =>
  error(
    "DE1005",
    `The step \`${step}\` runs inside a callback that nothing awaits, so the handler would continue before it is checkpointed.`,
    "await the steps, e.g. `await Promise.all(ids.map((id) => step.run(...)))`, or use a `for…of` loop with `await`.",
  );

export const unawaitedStep = (step: string) =>
  error(
    "DE1012",
    `\`${step}(…)\` must be awaited where it is called: a pending step's promise cannot be kept in a local across a checkpoint, and an un-awaited step is not checkpointed before the handler goes on.`,
    "await it in the same statement, e.g. `const [a, b] = await Promise.all([step.run(\"a\", …), step.run(\"b\", …)])`.",
  );

export const forAwait = () =>
  error(
    "DE1006",
    "`for await…of` cannot be resumed: the async iterator it consumes cannot be saved at a checkpoint.",
    "collect the values first (e.g. `const items = await step.run(\"collect\", async () => Array.fromAsync(source))`), then loop with `for…of`.",
  );

export const classInstanceLive = (name: string, className: string) =>
  warning(
    "DE1007",
    `\`${name}\` holds an instance of class \`${className}\` and is used after an await, so it must be saved at a checkpoint — class instances cannot be serialized (the checkpoint will fail at run time).`,
    "keep plain data (objects, arrays, Maps, Dates…) in locals that cross an await, and re-create the instance after the await.",
  );

export const handlerNotFound = (name: string) =>
  warning(
    "DE1008",
    `The endpoint handler \`${name}\` is not an async function declared in this module, so it is not compiled (runs in replay mode).`,
    "pass an inline `async` function, or a function declared in the same module.",
  );

export const unsupportedAwaitPosition = (what: string) =>
  error(
    "DE1009",
    `\`await\` inside ${what} is not supported by the compiler.`,
    "move the awaited value into a local first: `const value = await …;`.",
  );

export const thisInHandler = () =>
  error(
    "DE1010",
    "`this` inside a `function` handler has no meaning once the handler is resumed.",
    "use an arrow function handler, or avoid `this`.",
  );

export const reassignedHandlerParameter = () =>
  warning(
    "DE1011",
    "The request parameter is reassigned; the compiled handler saves the new value at checkpoints, which works only if it is serializable.",
    "assign the new value to a separate local instead.",
  );

export const internalError = (detail: string) =>
  error(
    "DE1099",
    `Internal compiler error while compiling this handler: ${detail}.`,
    "please report it with this handler; meanwhile simplify the construct around the position shown.",
  );

/** Turns drafts into positioned diagnostics with a code frame. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  constructor(private readonly code: string) {}

  report(draft: DiagnosticDraft, node: Node | { loc?: Node["loc"] } | null | undefined): void {
    const start = node?.loc?.start ?? { line: 1, column: 0 };
    this.list.push({
      ...draft,
      line: start.line,
      column: start.column,
      frame: codeFrameColumns(this.code, { start: { line: start.line, column: start.column + 1 } }, { highlightCode: false }),
    });
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === "error");
  }
}
