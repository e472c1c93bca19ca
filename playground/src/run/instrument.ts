/**
 * Marks every statement of an endpoint handler with `__hit(line);` so the Run
 * panel can show which of the user's statements executed in which process —
 * the evidence that a compiled run resumes without re-running earlier code.
 *
 * Only the handler's own statements are marked (not nested functions such as
 * step callbacks, which both modes run exactly once). Insertions never add a
 * newline, so line numbers, and the compiler's view of the code, are unchanged.
 */
import { parse } from "@babel/parser";
import type { Node } from "@babel/types";

export const HIT = "__hit";

export function instrument(source: string): string {
  const ast = parse(source, { sourceType: "module", plugins: ["typescript"], errorRecovery: true });
  const handlers = findHandlers(ast.program.body as Node[]);
  const inserts: Array<{ at: number; line: number }> = [];
  for (const handler of handlers) markStatements(handler, inserts);
  inserts.sort((a, b) => b.at - a.at);
  let out = source;
  for (const { at, line } of inserts) out = `${out.slice(0, at)}${HIT}(${line}); ${out.slice(at)}`;
  return out;
}

type FunctionNode = Extract<Node, { type: "ArrowFunctionExpression" | "FunctionExpression" | "FunctionDeclaration" }>;

/** Functions passed to `x.endpoint(…)`, inline or by the name of a function declared in the module. */
function findHandlers(body: Node[]): FunctionNode[] {
  const declared = new Map<string, FunctionNode>();
  const found: FunctionNode[] = [];
  const names: string[] = [];
  walk(body, (node) => {
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
  const visit = (node: Node): void => {
    if (isFunction(node)) return; // nested functions are not the handler's own code
    const list = node.type === "BlockStatement" ? node.body : node.type === "SwitchCase" ? node.consequent : undefined;
    if (list) for (const stmt of list) if (stmt.loc && stmt.start != null) inserts.push({ at: stmt.start, line: stmt.loc.start.line });
    forEachChild(node, visit);
  };
  forEachChild(fn.body, visit);
  for (const stmt of fn.body.body) if (stmt.loc && stmt.start != null) inserts.push({ at: stmt.start, line: stmt.loc.start.line });
}

function isFunction(node: Node): node is FunctionNode {
  return node.type === "ArrowFunctionExpression" || node.type === "FunctionExpression" || node.type === "FunctionDeclaration";
}

function walk(nodes: Node[], visit: (node: Node) => void): void {
  const go = (node: Node): void => {
    visit(node);
    forEachChild(node, go);
  };
  nodes.forEach(go);
}

function forEachChild(node: Node, visit: (child: Node) => void): void {
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "leadingComments" || key === "trailingComments" || key === "innerComments") continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) for (const item of value) isNode(item) && visit(item);
    else if (isNode(value)) visit(value);
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}
