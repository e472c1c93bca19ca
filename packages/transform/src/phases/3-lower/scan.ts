/** Syntactic queries on the original handler AST (never descending into nested functions). */
import * as t from "@babel/types";

function walk(node: t.Node, visit: (node: t.Node) => boolean | void): void {
  if (visit(node) === false) return;
  for (const key of t.VISITOR_KEYS[node.type] ?? []) {
    const child = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(child)) {
      for (const c of child) if (c && typeof c === "object" && "type" in c) walk(c as t.Node, visit);
    } else if (child && typeof child === "object" && "type" in child) {
      walk(child as t.Node, visit);
    }
  }
}

const isOpaque = (node: t.Node) => t.isFunction(node) || t.isClass(node);

/** A search of `node` outside nested functions for a node matching `test`, remembered per node. */
function searcher(test: (n: t.Node) => boolean): (node: t.Node | null | undefined) => boolean {
  const cache = new WeakMap<t.Node, boolean>();
  return (node) => {
    if (!node) return false;
    const cached = cache.get(node);
    if (cached !== undefined) return cached;
    let found = false;
    walk(node, (n) => {
      if (found || (n !== node && isOpaque(n))) return false;
      if (test(n)) found = true;
    });
    cache.set(node, found);
    return found;
  };
}

/** Does evaluating `node` suspend (an `await` outside nested functions)? */
export const containsAwait = searcher((n) => t.isAwaitExpression(n) || (t.isForOfStatement(n) && n.await));

/** A `var` declared anywhere inside `node` belongs to the handler's scope and must be hoisted. */
export function containsVar(node: t.Node): boolean {
  let found = false;
  walk(node, (n) => {
    if (found || (n !== node && isOpaque(n))) return false;
    if (t.isVariableDeclaration(n, { kind: "var" })) found = true;
  });
  return found;
}

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
    for (const key of t.VISITOR_KEYS[n.type] ?? []) {
      const child = (n as unknown as Record<string, unknown>)[key];
      const children = Array.isArray(child) ? child : [child];
      for (const c of children) {
        if (c && typeof c === "object" && "type" in c) {
          visit(c as t.Node, loops + (isLoop ? 1 : 0), breakables + (isLoop || t.isSwitchStatement(n) ? 1 : 0), inner);
        }
      }
    }
  };
  visit(node, 0, 0, new Set());
  return found;
}

/** Identifier names bound by a declaration pattern. */
export function patternNames(pattern: t.Node): t.Identifier[] {
  return Object.values(t.getBindingIdentifiers(pattern, false)).flat();
}

export { walk };

/** An expression that changes state when evaluated: an assignment, `++`/`--`, `delete`. */
export const isEffect = (node: t.Node): node is t.AssignmentExpression | t.UpdateExpression | t.UnaryExpression =>
  t.isAssignmentExpression(node) || t.isUpdateExpression(node) || t.isUnaryExpression(node, { operator: "delete" });

/** Does evaluating `node` have an effect of its own (outside nested functions) that must happen once? */
export const containsEffect = searcher(isEffect);

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
