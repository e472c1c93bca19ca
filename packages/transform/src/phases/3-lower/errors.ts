/**
 * What the language throws that a hoisted local no longer would: a `let`/`const` becomes a plain
 * `let` at the top of `resume` (or a property of the locals object), so reading it before its
 * declaration and assigning a `const` must throw by hand.
 */
import * as t from "@babel/types";

/** `(() => { throw new TypeError(message); })()`: a throw where an expression stands. */
function throwing(constructor: "TypeError" | "ReferenceError", message: string): t.Expression {
  const error = t.newExpression(t.identifier(constructor), [t.stringLiteral(message)]);
  return t.callExpression(t.arrowFunctionExpression([], t.blockStatement([t.throwStatement(error)])), []);
}

const assignToConst = () => throwing("TypeError", "Assignment to constant variable.");

/**
 * An assignment to a `const` (analysis' `constAssignments`): evaluates what the assignment would
 * before it stores — the value, the current value for `+=` and `++`, the short-circuit of `||=` —
 * then throws `TypeError: Assignment to constant variable.` (a `ReferenceError` where the const is
 * read uninitialized: before its declaration ran)
 */
export function constAssignment(node: t.AssignmentExpression | t.UpdateExpression): t.Expression {
  const fail = assignToConst();
  if (t.isUpdateExpression(node)) return t.sequenceExpression([node.argument, fail]);
  const { operator, left, right } = node;
  const current = left as t.Identifier;
  // the const is read after the value: a ReferenceError comes first while it is uninitialized
  if (operator === "=") return t.sequenceExpression([right, current, fail]);
  if (operator === "||=" || operator === "&&=" || operator === "??=") {
    return t.logicalExpression(operator.slice(0, 2) as "||", current, t.sequenceExpression([right, fail]));
  }
  return t.sequenceExpression([t.binaryExpression(operator.slice(0, -1) as t.BinaryExpression["operator"], current, right), fail]);
}

/**
 * A `const` as a destructuring or for…of/for…in target: a property whose setter throws, so
 * what the statement reads (the iterator's next(), a getter) happens first and the throw
 * comes at the store, where the language throws, closing the iterator like it.
 */
export function constTarget(): t.MemberExpression {
  const store = t.objectMethod("set", t.identifier("value"), [t.identifier("_")], t.blockStatement([t.expressionStatement(assignToConst())]));
  return t.memberExpression(t.objectExpression([store]), t.identifier("value"));
}

/** A read that always comes before the declaration ran: `ReferenceError: Cannot access 'x' before initialization`. */
export function uninitializedRead(name: string): t.Expression {
  return throwing("ReferenceError", `Cannot access '${name}' before initialization`);
}
