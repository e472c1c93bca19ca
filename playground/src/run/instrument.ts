/**
 * Marks every statement of an endpoint handler with `__hit(line);` so the Run
 * panel can show which of the user's statements executed in which process —
 * the evidence that a compiled run resumes without re-running earlier code.
 *
 * Only the handler's own statements are marked (not nested functions such as
 * step callbacks, which both modes run exactly once). Insertions never add a
 * newline, so line numbers, and the compiler's view of the code, are unchanged.
 */
import type { Node, Statement } from "@babel/types";
import { walk } from "@durable-endpoints/transform/ast";
import { isFunction, parseTs, type FunctionNode } from "../ast.js";

export const HIT = "__hit";

export function instrument(source: string): string {
  const ast = parseTs(source);
  const inserts: Array<{ at: number; line: number }> = [];
  for (const handler of findHandlers(ast.program)) markStatements(handler, inserts);
  inserts.sort((a, b) => b.at - a.at);
  let out = source;
  for (const { at, line } of inserts) out = `${out.slice(0, at)}${HIT}(${line}); ${out.slice(at)}`;
  return out;
}

/** Functions passed to `x.endpoint(…)`, inline or by the name of a function declared in the module. */
function findHandlers(program: Node): FunctionNode[] {
  const declared = new Map<string, FunctionNode>();
  const found: FunctionNode[] = [];
  const names: string[] = [];
  walk(program, (node) => {
    if (node.type === "FunctionDeclaration" && node.id) declared.set(node.id.name, node);
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && node.init && isFunction(node.init)) declared.set(node.id.name, node.init);
    if (node.type !== "CallExpression") return;
    const callee = node.callee;
    if (callee.type !== "MemberExpression" || callee.property.type !== "Identifier" || callee.property.name !== "endpoint") return;
    const arg = node.arguments[0];
    if (arg && isFunction(arg)) found.push(arg);
    else if (arg?.type === "Identifier") names.push(arg.name);
  });
  for (const name of names) {
    const fn = declared.get(name);
    if (fn) found.push(fn);
  }
  return found;
}

function markStatements(fn: FunctionNode, inserts: Array<{ at: number; line: number }>): void {
  if (fn.body.type !== "BlockStatement") return;
  const mark = (list: Statement[]) => {
    for (const stmt of list) if (stmt.loc && stmt.start != null) inserts.push({ at: stmt.start, line: stmt.loc.start.line });
  };
  walk(fn.body, (node) => {
    if (isFunction(node)) return false; // nested functions are not the handler's own code
    if (node.type === "BlockStatement") mark(node.body);
    if (node.type === "SwitchCase") mark(node.consequent);
  });
}
