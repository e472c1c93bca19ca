/** Syntactic queries on the original handler AST (never descending into nested functions). */
import * as t from "@babel/types";
import { forEachChild, isOpaque, makePredicate, walk } from "../../ast/walk.js";

/** Does evaluating `node` suspend (an `await` outside nested functions)? */
export const containsAwait = makePredicate((n) => t.isAwaitExpression(n) || (t.isForOfStatement(n) && n.await));

/** A `var` declared anywhere inside `node` belongs to the handler's scope and must be hoisted. */
export const containsVar = makePredicate((n) => t.isVariableDeclaration(n, { kind: "var" }));

/**
 * Does `node` contain a break/continue that leaves it, or a `return` (which must be
 * routed through a pending `finally` when `returnEscapes`)? Such statements cannot be
 * emitted verbatim inside the machine's `for (;;) switch`.
 */
export function hasEscapingJump(node: t.Node, returnEscapes: boolean): boolean {
  let found = false;
  const visit = (n: t.Node, loops: number, breakables: number, labels: Set<string>): void => {
    if (found || (n !== node && isOpaque(n))) return;
    if (t.isReturnStatement(n) && returnEscapes) found = true;
    if (t.isBreakStatement(n)) found = n.label ? !labels.has(n.label.name) : breakables === 0;
    if (t.isContinueStatement(n)) found = n.label ? !labels.has(n.label.name) : loops === 0;
    if (found) return;
    const isLoop = t.isLoop(n);
    const inner = t.isLabeledStatement(n) ? new Set([...labels, n.label.name]) : labels;
    forEachChild(n, (c) => visit(c, loops + (isLoop ? 1 : 0), breakables + (isLoop || t.isSwitchStatement(n) ? 1 : 0), inner));
  };
  visit(node, 0, 0, new Set());
  return found;
}

/** An expression that changes state when evaluated: an assignment, `++`/`--`, `delete`. */
export const isEffect = (node: t.Node): node is t.AssignmentExpression | t.UpdateExpression | t.UnaryExpression =>
  t.isAssignmentExpression(node) || t.isUpdateExpression(node) || t.isUnaryExpression(node, { operator: "delete" });

/** Does evaluating `node` have an effect of its own (outside nested functions) that must happen once? */
export const containsEffect = makePredicate(isEffect);

/** The identifiers `node` may assign (nested functions included: they may be called there). */
export function assignedIdentifiers(node: t.Node): t.Identifier[] {
  const found: t.Identifier[] = [];
  walk(node, (n) => {
    if (t.isAssignmentExpression(n)) found.push(...Object.values(t.getBindingIdentifiers(n.left as t.Node, false)).flat());
    else if (t.isUpdateExpression(n) && t.isIdentifier(n.argument)) found.push(n.argument);
    else if ((t.isForOfStatement(n) || t.isForInStatement(n)) && !t.isVariableDeclaration(n.left)) {
      found.push(...Object.values(t.getBindingIdentifiers(n.left, false)).flat());
    }
  });
  return found;
}
