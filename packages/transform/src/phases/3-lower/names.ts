/**
 * What a binding's name means beyond reading and writing it, kept when the compiler renames a
 * local (`x` → `x_2`) or turns it into the property `L.x`: an anonymous function or class assigned
 * to an identifier takes the identifier's name (NamedEvaluation: `f = function () {}`,
 * `x ||= () => {}`, `[a = class {}] = …`, `let g = () => {}`), and `{ x }` in a literal means
 * `{ x: x }` — except for `__proto__`, where `{ __proto__: v }` would set the prototype.
 */
import * as t from "@babel/types";

const NAMING_OPERATORS = new Set(["=", "&&=", "||=", "??="]);

/** Where a node assigns a value to a target that names it: [target key, value key]. */
export function namingSlot(node: t.Node): ["left", "right"] | ["id", "init"] | null {
  if (t.isAssignmentExpression(node)) return NAMING_OPERATORS.has(node.operator) ? ["left", "right"] : null;
  if (t.isAssignmentPattern(node)) return ["left", "right"];
  if (t.isVariableDeclarator(node)) return ["id", "init"];
  return null;
}

/** An anonymous function definition: NamedEvaluation gives it the name of what it is assigned to. */
const isAnonymousFunction = (node: t.Node | null | undefined): node is t.Expression =>
  t.isArrowFunctionExpression(node) || ((t.isFunctionExpression(node) || t.isClassExpression(node)) && !node.id);

/** `{ name: value }.name`: the object literal names `value` without reading any global. */
function named(name: string, value: t.Expression): t.Expression {
  const proto = name === "__proto__";
  const key = () => (proto ? t.stringLiteral(name) : t.identifier(name));
  return t.memberExpression(t.objectExpression([t.objectProperty(key(), value, proto)]), key(), proto);
}

/** Wraps the anonymous function assigned at `node`'s naming slot whose target is `targetKey`. */
function wrapAnonymousValue(node: t.Node, targetKey: string, wrap: (value: t.Expression) => t.Expression): void {
  const slot = namingSlot(node);
  if (!slot || slot[0] !== targetKey) return;
  const holder = node as unknown as Record<string, t.Node | null>;
  const value = holder[slot[1]];
  if (isAnonymousFunction(value)) holder[slot[1]] = wrap(value);
}

/**
 * `node[targetKey]`, the identifier `name`, is being given another name or replaced by a member
 * expression: an anonymous function assigned there still gets `name`.
 */
export const keepAssignedName = (node: t.Node, targetKey: string, name: string): void => wrapAnonymousValue(node, targetKey, (value) => named(name, value));

/** `node[targetKey]` names nothing (`(x) = …`) but will be printed as a plain identifier: `(0, value)`. */
export const keepAnonymous = (node: t.Node, targetKey: string): void => wrapAnonymousValue(node, targetKey, (value) => t.sequenceExpression([t.numericLiteral(0), value]));

/** `{ x }` whose value no longer is the identifier `x`: a plain property, never a `__proto__` setter. */
export function expandShorthand(property: t.ObjectProperty): void {
  property.shorthand = false;
  if (!property.computed && t.isIdentifier(property.key, { name: "__proto__" })) {
    property.key = t.stringLiteral("__proto__");
    property.computed = true;
  }
}
