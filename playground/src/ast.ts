/** Minimal Babel AST helpers for the instrumenter. */
import { parse } from "@babel/parser";
import type { File, Node } from "@babel/types";

export type FunctionNode = Extract<Node, { type: "ArrowFunctionExpression" | "FunctionExpression" | "FunctionDeclaration" | "ObjectMethod" | "ClassMethod" }>;

export function parseTs(code: string): File {
  return parse(code, { sourceType: "module", plugins: ["typescript"], errorRecovery: true });
}

export function isFunction(node: Node): node is FunctionNode {
  return (
    node.type === "ArrowFunctionExpression" ||
    node.type === "FunctionExpression" ||
    node.type === "FunctionDeclaration" ||
    node.type === "ObjectMethod" ||
    node.type === "ClassMethod"
  );
}

/** Calls `visit` on every node below `node` (pre-order); `visit` returns false to skip a subtree. */
export function walk(node: Node, visit: (node: Node) => boolean | void): void {
  forEachChild(node, (child) => {
    if (visit(child) !== false) walk(child, visit);
  });
}

export function forEachChild(node: Node, visit: (child: Node) => void): void {
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
