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
