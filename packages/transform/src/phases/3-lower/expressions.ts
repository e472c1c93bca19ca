/**
 * Lowering of expressions that contain `await` (regenerator's explodeExpression).
 *
 * `explode` emits whatever must run before the expression's value is available and
 * returns an expression that yields that value. Every await becomes a state whose case
 * starts with the await (the machine's rule 1): sub-expressions evaluated before it are
 * stored in temporaries first, short-circuits and ternaries become jumps.
 */
import * as t from "@babel/types";
import * as diag from "../../diagnostics.js";
import { stepKindOf } from "../2-analyze.js";
import { constAssignment } from "./errors.js";
import { voidZero, type AwaitSite, type Lowerer } from "./lowerer.js";
import { walk } from "../../ast/walk.js";
import { assignedIdentifiers, containsAwait, containsEffect, isEffect } from "./scan.js";

type Item = t.Expression | t.SpreadElement | null;

/**
 * Must `node` be taken apart? Around an await, yes. Inside an awaited expression (which is
 * evaluated again on resume) also when it has an effect that must happen once: the effect
 * is computed before the state, with everything evaluated before it and its short-circuits.
 */
function splits(lw: Lowerer, node: t.Node | null | undefined): boolean {
  return containsAwait(node) || (lw.effectsOnce && containsEffect(node));
}

export function explode(lw: Lowerer, node: t.Expression, ignoreResult = false): t.Expression | null {
  if (lw.analysis.constAssignments.has(node)) return explode(lw, constAssignment(node as t.AssignmentExpression), ignoreResult);
  if (!splits(lw, node)) return lw.rewrite(node);
  const value = explodeParts(lw, node, ignoreResult);
  if (!lw.effectsOnce || !isEffect(node) || !value) return value;
  if (ignoreResult) {
    emitEffect(lw, value);
    return null;
  }
  return hoist(lw, value);
}

function explodeParts(lw: Lowerer, node: t.Expression, ignoreResult: boolean): t.Expression | null {
  switch (node.type) {
    case "ParenthesizedExpression":
      return explode(lw, node.expression, ignoreResult);
    case "TSAsExpression":
    case "TSSatisfiesExpression":
    case "TSNonNullExpression":
    case "TSTypeAssertion":
      return explodeValue(lw, node.expression);
    case "AwaitExpression":
      return explodeAwait(lw, node, ignoreResult ? (e) => t.expressionStatement(e) : undefined);
    case "SequenceExpression": {
      node.expressions.slice(0, -1).forEach((e) => emitEffect(lw, explode(lw, e, true)));
      return explode(lw, node.expressions[node.expressions.length - 1]!, ignoreResult);
    }
    case "LogicalExpression":
      if (!splits(lw, node.right)) return t.logicalExpression(node.operator, explodeValue(lw, node.left), lw.rewrite(node.right));
      return shortCircuit(lw, node, ignoreResult);
    case "ConditionalExpression":
      if (!splits(lw, node.consequent) && !splits(lw, node.alternate)) {
        return t.conditionalExpression(explodeValue(lw, node.test), lw.rewrite(node.consequent), lw.rewrite(node.alternate));
      }
      return ternary(lw, node, ignoreResult);
    case "AssignmentExpression":
      return explodeAssignment(lw, node, ignoreResult);
    case "BinaryExpression": {
      if (t.isPrivateName(node.left)) break;
      const [left, right] = explodeList(lw, [node.left, node.right]) as t.Expression[];
      return t.binaryExpression(node.operator, left!, right!);
    }
    case "UnaryExpression":
      return t.unaryExpression(node.operator, explodeValue(lw, node.argument), node.prefix);
    case "UpdateExpression":
      if (!t.isMemberExpression(node.argument)) return lw.rewrite(node);
      return t.updateExpression(node.operator, explodeMember(lw, node.argument), node.prefix);
    case "MemberExpression":
      return explodeMember(lw, node);
    case "CallExpression":
    case "NewExpression":
      return explodeCall(lw, node);
    case "ArrayExpression":
      return t.arrayExpression(explodeList(lw, node.elements) as (t.Expression | t.SpreadElement | null)[]);
    case "ObjectExpression":
      return explodeObject(lw, node);
    case "TemplateLiteral":
      return t.templateLiteral(node.quasis.map((q) => t.cloneNode(q)), explodeList(lw, node.expressions as t.Expression[], asString) as t.Expression[]);
    case "OptionalMemberExpression":
    case "OptionalCallExpression":
      return explodeOptionalChain(lw, node);
    case "TaggedTemplateExpression": {
      const [tag, ...exprs] = explodeList(lw, [node.tag, ...(node.quasi.expressions as t.Expression[])]) as t.Expression[];
      return t.taggedTemplateExpression(tag!, t.templateLiteral(node.quasi.quasis.map((q) => t.cloneNode(q)), exprs));
    }
    default:
      break;
  }
  diag.unsupportedAwaitPosition(node, describe(node));
  return lw.rewrite(node);
}

/** explode() when the value is needed. */
export function explodeValue(lw: Lowerer, node: t.Expression): t.Expression {
  return explode(lw, node) ?? voidZero();
}

/**
 * A value computed only for its effects. Dropped only when evaluating it can do nothing: a
 * temporary or a plain literal. A user's identifier may throw (undeclared, TDZ), a template
 * literal converts its substitutions to strings.
 */
export function emitEffect(lw: Lowerer, expression: t.Expression | null): void {
  if (!expression || lw.isTemp(expression)) return;
  if (t.isLiteral(expression) && !(t.isTemplateLiteral(expression) && expression.expressions.length > 0)) return;
  lw.em.emit(t.expressionStatement(expression));
}

/**
 * One await = one state. `use` turns the await into the statement that starts the case
 * (`x = await …`, `return await …`); by default the result goes to a temporary.
 */
export function explodeAwait(lw: Lowerer, node: t.AwaitExpression, use?: (awaited: t.AwaitExpression) => t.Statement): t.Expression | null {
  const argument = awaitedExpression(lw, node.argument);
  const state = lw.em.newState();
  const site: AwaitSite = { state, line: node.loc?.start.line ?? 0, steps: stepsIn(lw, argument) };
  lw.awaits.push(site);
  lw.em.mark(state, describeAwait(site));
  const awaited = t.awaitExpression(argument);
  awaited.loc = node.loc;
  if (use) {
    lw.em.emit(use(awaited));
    return null;
  }
  const result = lw.temp();
  lw.em.emitAssign(result, awaited);
  return result;
}

/**
 * The awaited expression is evaluated again when the run resumes at its state: step
 * calls return their memoized outcome, and helpers or `Promise.all(ids.map(…))` issue
 * their (memoized) steps again — so it is kept whole. Only the effects that must happen
 * once inside it (assignments, `++`/`--`, `delete`) are computed before the state, and
 * with them what is evaluated before them and the short-circuits they sit in.
 */
function awaitedExpression(lw: Lowerer, argument: t.Expression): t.Expression {
  const outer = lw.effectsOnce;
  lw.effectsOnce = true;
  try {
    return explodeValue(lw, argument);
  } finally {
    lw.effectsOnce = outer;
  }
}

export function hoist(lw: Lowerer, value: t.Expression): t.Identifier {
  const temp = lw.temp();
  lw.em.emitAssign(temp, value);
  return temp;
}

/**
 * A template literal converts each substitution to a string right after evaluating it
 * (toString/valueOf/Symbol.toPrimitive are user code), so one secured before a later
 * await is secured as its string: `${value}` converts exactly as the template does, and
 * converting that string again in the rebuilt template calls nothing. A primitive literal
 * converts without calling anything.
 */
function asString(value: t.Expression): t.Expression {
  if (t.isStringLiteral(value) || t.isNumericLiteral(value) || t.isBooleanLiteral(value) || t.isNullLiteral(value) || t.isBigIntLiteral(value)) return value;
  return t.templateLiteral([t.templateElement({ raw: "" }), t.templateElement({ raw: "" }, true)], [value]);
}

/**
 * Children evaluated before the last one that awaits (or has an effect hoisted out of an
 * awaited expression) are stored in temporaries, so they run once and in order — unless
 * reading them later gives the same value: a literal, a function, a name that nothing up
 * to that child assigns. Up to an effect only (no await in between), a call is kept in the
 * awaited expression with its callee and arguments so secured: it is issued at the state,
 * like the awaited call itself. `convert` is what the parent does to a child's value right
 * after evaluating it (a template literal's ToString), so it happens before the later ones too.
 */
function explodeList(lw: Lowerer, items: readonly (t.Node | null)[], convert = (value: t.Expression) => value): Item[] {
  let last = -1;
  items.forEach((item, i) => {
    if (item && splits(lw, item)) last = i;
  });
  return items.map((item, i) => {
    if (!item) return null;
    if (i > last) return lw.rewrite(item) as Item;
    const span = items.slice(i + 1, last + 1);
    const later = i < last ? { assigned: assignedNames(lw, span), calls: lw.effectsOnce && !span.some(containsAwait) } : null;
    const once = (value: t.Expression) => (later ? secured(lw, convert(value), later) : value);
    if (t.isSpreadElement(item)) return t.spreadElement(once(explodeValue(lw, item.argument)));
    return once(explodeValue(lw, item as t.Expression));
  });
}

/** The (renamed) names the evaluation of `nodes` may assign. */
function assignedNames(lw: Lowerer, nodes: readonly (t.Node | null)[]): Set<string> {
  const names = new Set<string>();
  for (const node of nodes) if (node) for (const id of assignedIdentifiers(node)) names.add(lw.analysis.rename.get(id)?.name ?? id.name);
  return names;
}

type Later = { assigned: Set<string>; calls: boolean };

/** `value`, or a temporary holding it, so that evaluating it after `later` gives what it gives now. */
function secured(lw: Lowerer, value: t.Expression, later: Later): t.Expression {
  if (t.isIdentifier(value)) return later.assigned.has(value.name) ? hoist(lw, value) : value;
  if ((t.isLiteral(value) && !t.isTemplateLiteral(value)) || t.isFunction(value) || t.isThisExpression(value) || isStepTools(value)) return value;
  if (later.calls && (t.isCallExpression(value) || t.isNewExpression(value)) && t.isExpression(value.callee)) {
    const callee = value.callee;
    if (t.isMemberExpression(callee)) callee.object = secured(lw, callee.object, later);
    else value.callee = secured(lw, callee, later);
    if (t.isMemberExpression(callee) && callee.computed) callee.property = secured(lw, callee.property as t.Expression, later);
    value.arguments = value.arguments.map((a) =>
      t.isSpreadElement(a) ? t.spreadElement(secured(lw, a.argument, later)) : t.isExpression(a) ? secured(lw, a, later) : a,
    );
    return value;
  }
  return hoist(lw, value);
}

const isStepTools = (node: t.Node) => t.isMemberExpression(node) && t.isIdentifier(node.property, { name: "step" }) && t.isIdentifier(node.object);

function explodeMember(lw: Lowerer, node: t.MemberExpression): t.MemberExpression {
  if (!node.computed) return t.memberExpression(explodeValue(lw, node.object as t.Expression), lw.rewrite(node.property));
  const [object, property] = explodeList(lw, [node.object, node.property]) as t.Expression[];
  return t.memberExpression(object!, property!, true);
}

function explodeCall(lw: Lowerer, node: t.CallExpression | t.NewExpression): t.Expression {
  const make = (callee: t.Expression | t.V8IntrinsicIdentifier, args: Item[]) => {
    const call = t.isNewExpression(node) ? t.newExpression(callee as t.Expression, args as t.Expression[]) : t.callExpression(callee as t.Expression, args as t.Expression[]);
    call.loc = node.loc;
    return call;
  };
  const callee = node.callee;
  if (t.isMemberExpression(callee) && !t.isSuper(callee.object)) {
    // keep `object.method(…)` so the call still gets `this`
    const [object, property, ...args] = explodeList(lw, [callee.object, callee.computed ? callee.property : null, ...node.arguments]);
    const member = t.memberExpression(object as t.Expression, callee.computed ? (property as t.Expression) : lw.rewrite(callee.property), callee.computed);
    return make(member, args);
  }
  if (!t.isExpression(callee)) return make(lw.rewrite(callee), explodeList(lw, node.arguments));
  const [fn, ...args] = explodeList(lw, [callee, ...node.arguments]);
  return make(fn as t.Expression, args);
}

type ChainLink = t.MemberExpression | t.OptionalMemberExpression | t.CallExpression | t.OptionalCallExpression;
const isLink = (n: t.Node): n is ChainLink => t.isMemberExpression(n) || t.isOptionalMemberExpression(n) || t.isCallExpression(n) || t.isOptionalCallExpression(n);
const inner = (n: ChainLink): t.Node => (t.isMemberExpression(n) || t.isOptionalMemberExpression(n) ? n.object : n.callee);

/**
 * `(await x)?.a?.b()`: the await is in the chain's head, evaluated before any `?.`, so the
 * head is lowered and the chain kept. An await after a `?.` would be skipped by the
 * short-circuit: not supported.
 */
function explodeOptionalChain(lw: Lowerer, node: t.OptionalMemberExpression | t.OptionalCallExpression): t.Expression {
  let head: t.Node = node;
  const links: ChainLink[] = [];
  while (isLink(head)) {
    links.push(head);
    head = inner(head);
  }
  const awaitsAfterHead = links.some((l) =>
    t.isMemberExpression(l) || t.isOptionalMemberExpression(l) ? l.computed && containsAwait(l.property) : l.arguments.some((a) => containsAwait(a)),
  );
  if (!awaitsAfterHead && lw.effectsOnce && !containsAwait(node)) {
    // an effect after a `?.` of an awaited expression: the whole chain is evaluated once, before the state
    return hoist(lw, lw.rewrite(node));
  }
  if (awaitsAfterHead || !t.isExpression(head)) {
    diag.unsupportedAwaitPosition(node, "an optional chain (`?.`)");
    return lw.rewrite(node);
  }
  const value = explodeValue(lw, head);
  const copy = lw.rewrite(node);
  let link: t.Node = copy;
  while (isLink(link) && isLink(inner(link))) link = inner(link);
  if (t.isMemberExpression(link) || t.isOptionalMemberExpression(link)) link.object = value;
  else (link as t.CallExpression).callee = value;
  return copy;
}

function explodeObject(lw: Lowerer, node: t.ObjectExpression): t.ObjectExpression {
  // flatten the object into an ordered list of evaluated parts, explode, then rebuild
  const parts: (t.Node | null)[] = [];
  for (const p of node.properties) {
    if (t.isSpreadElement(p)) parts.push(p);
    else if (t.isObjectProperty(p)) parts.push(p.computed ? p.key : null, p.value);
    else parts.push(null, null);
  }
  const out = explodeList(lw, parts);
  let i = 0;
  const properties = node.properties.map((p) => {
    if (t.isSpreadElement(p)) return out[i++] as t.SpreadElement;
    const key = out[i++];
    const value = out[i++];
    if (t.isObjectMethod(p)) return lw.rewrite(p);
    const prop = t.objectProperty(p.computed ? (key as t.Expression) : lw.rewrite(p.key), value as t.Expression, p.computed);
    return prop;
  });
  return t.objectExpression(properties);
}

/** `a && await b`: evaluate `b` only when needed, with a jump over it. */
function shortCircuit(lw: Lowerer, node: t.LogicalExpression, ignoreResult: boolean): t.Expression {
  const result = lw.temp();
  return explodeLowered(lw, explodeValue(lw, node.left), node.operator, () => {
    assignTo(lw, result, node.right, ignoreResult);
    return null;
  }, result);
}

function explodeLowered(lw: Lowerer, left: t.Expression, operator: "&&" | "||" | "??", right: () => t.Expression | null, result = lw.temp()): t.Expression {
  lw.em.emitAssign(result, left);
  const after = lw.em.newState();
  if (operator === "&&") lw.em.jumpUnless(t.cloneNode(result), after);
  else if (operator === "||") lw.em.jumpIf(t.cloneNode(result), after);
  else lw.em.jumpIf(t.binaryExpression("!=", t.cloneNode(result), t.nullLiteral()), after);
  const value = right();
  if (value) lw.em.emitAssign(t.cloneNode(result), value);
  lw.em.mark(after);
  return result;
}

/** `result = <node>`, with `result = await …` directly at the state when the node is an await. */
function assignTo(lw: Lowerer, result: t.Identifier | null, node: t.Expression, ignoreResult: boolean): void {
  if (t.isAwaitExpression(node) && !containsAwait(node.argument)) {
    explodeAwait(lw, node, (awaited) => t.expressionStatement(result ? t.assignmentExpression("=", t.cloneNode(result), awaited) : awaited));
    return;
  }
  const value = explode(lw, node, ignoreResult);
  if (result && value) lw.em.emitAssign(t.cloneNode(result), value);
  else emitEffect(lw, value);
}

function ternary(lw: Lowerer, node: t.ConditionalExpression, ignoreResult: boolean): t.Expression | null {
  const result = ignoreResult ? null : lw.temp();
  const otherwise = lw.em.newState();
  const after = lw.em.newState();
  lw.em.jumpUnless(explodeValue(lw, node.test), otherwise);
  for (const [branch, next] of [[node.consequent, otherwise], [node.alternate, after]] as const) {
    if (branch === node.alternate) lw.em.mark(otherwise);
    assignTo(lw, result, branch, ignoreResult);
    if (next === otherwise) lw.em.jump(after);
  }
  lw.em.mark(after);
  return result;
}

function explodeAssignment(lw: Lowerer, node: t.AssignmentExpression, ignoreResult: boolean): t.Expression | null {
  const { operator, left, right } = node;
  if (operator === "||=" || operator === "&&=" || operator === "??=") {
    // `a ||= v` is `a || (a = v)`; for `o.p ||= v` the object (and key) are evaluated once, first
    if (t.isMemberExpression(left)) {
      const [object, property] = explodeList(lw, [left.object, left.computed ? left.property : null]) as t.Expression[];
      const once = (e: t.Expression) => (t.isIdentifier(e) || t.isLiteral(e) ? e : hoist(lw, e));
      const member = t.memberExpression(once(object!), left.computed ? once(property!) : lw.rewrite(left.property), left.computed);
      const write = () => t.assignmentExpression("=", lw.copy(member), explodeValue(lw, right));
      if (!containsAwait(right)) return t.logicalExpression(operator.slice(0, 2) as "||", lw.copy(member), write());
      return explodeLowered(lw, lw.copy(member), operator.slice(0, 2) as "||", write);
    }
    if (!t.isIdentifier(left)) return unsupported(lw, node, "this logical assignment");
    const logical = t.logicalExpression(operator.slice(0, 2) as "||", left, t.assignmentExpression("=", left, right));
    logical.loc = node.loc;
    return explode(lw, logical, ignoreResult);
  }
  if (t.isIdentifier(left)) {
    const target = lw.rewrite(left);
    if (t.isAwaitExpression(right) && !containsAwait(right.argument)) {
      explodeAwait(lw, right, (awaited) => t.expressionStatement(t.assignmentExpression(operator, target, awaited)));
      return ignoreResult ? null : lw.copy(target);
    }
    // `x += …` reads `x` first: before the right side can assign it
    const [current, value] = operator !== "=" ? explodeList(lw, [left, right]) : [target, explodeValue(lw, right)];
    return operator === "=" || current === target || t.isIdentifier(current, { name: target.name })
      ? t.assignmentExpression(operator, target, value as t.Expression)
      : t.assignmentExpression("=", target, t.binaryExpression(operator.slice(0, -1) as "+", current as t.Expression, value as t.Expression));
  }
  if (t.isMemberExpression(left)) {
    const [object, property, value] = explodeList(lw, [left.object, left.computed ? left.property : null, right]) as t.Expression[];
    const member = t.memberExpression(object!, left.computed ? property! : lw.rewrite(left.property), left.computed);
    return t.assignmentExpression(operator, member, value!);
  }
  if ((t.isObjectPattern(left) || t.isArrayPattern(left)) && operator === "=") {
    const value = explodeValue(lw, right);
    if (!containsAwait(left)) return t.assignmentExpression("=", assignable(lw.rewrite(left)), value);
    const source = hoist(lw, value);
    assignPattern(lw, left, source);
    return t.cloneNode(source);
  }
  return unsupported(lw, node, "this assignment");
}

/**
 * Destructuring whose defaults or computed keys await: assign part by part so each
 * await gets its state. `[…]` patterns read a copy of the iterable (`[...value]`).
 */
export function assignPattern(lw: Lowerer, pattern: t.LVal | t.PatternLike, value: t.Expression): void {
  const em = lw.em;
  if (!containsAwait(pattern)) {
    em.emitAssign(assignable(lw.rewrite(pattern as t.LVal)), value);
    return;
  }
  if (t.isAssignmentPattern(pattern)) {
    const temp = hoist(lw, value);
    const after = em.newState();
    em.jumpUnless(t.binaryExpression("===", t.cloneNode(temp), voidZero()), after);
    em.emitAssign(t.cloneNode(temp), explodeValue(lw, pattern.right));
    em.mark(after);
    assignPattern(lw, pattern.left, t.cloneNode(temp));
  } else if (t.isObjectPattern(pattern)) {
    const source = hoist(lw, value);
    const taken: { key: t.Expression; computed: boolean }[] = [];
    for (const p of pattern.properties) {
      if (t.isRestElement(p)) {
        // `...rest` gets the properties not named before: destructure them away into a throwaway temporary
        const discard = lw.temp();
        const named = taken.map(({ key, computed }) => t.objectProperty(t.cloneNode(key), t.cloneNode(discard), computed));
        em.emitAssign(t.objectPattern([...named, t.restElement(assignable(lw.rewrite(p.argument)))]), t.cloneNode(source));
        continue;
      }
      const key: t.Expression = p.computed ? hoist(lw, explodeValue(lw, p.key as t.Expression)) : (lw.rewrite(p.key) as t.Expression);
      const computed = p.computed || !t.isIdentifier(key);
      taken.push({ key, computed });
      assignPattern(lw, p.value as t.LVal, t.memberExpression(t.cloneNode(source), t.cloneNode(key), computed));
    }
  } else if (t.isArrayPattern(pattern)) {
    const source = hoist(lw, t.arrayExpression([t.spreadElement(value)]));
    pattern.elements.forEach((element, i) => {
      if (!element) return;
      if (t.isRestElement(element)) {
        const rest = t.callExpression(t.memberExpression(t.cloneNode(source), t.identifier("slice")), [t.numericLiteral(i)]);
        assignPattern(lw, element.argument, rest);
      } else {
        assignPattern(lw, element, t.memberExpression(t.cloneNode(source), t.numericLiteral(i), true));
      }
    });
  } else {
    unsupported(lw, pattern, "this destructuring target");
  }
}

/** Declaration patterns as assignment targets: drop type annotations. */
export function assignable<T extends t.Node>(pattern: T): T {
  const strip = (n: t.Node) => {
    if ("typeAnnotation" in n && (t.isIdentifier(n) || t.isObjectPattern(n) || t.isArrayPattern(n) || t.isRestElement(n) || t.isAssignmentPattern(n))) {
      delete (n as { typeAnnotation?: unknown }).typeAnnotation;
      delete (n as { optional?: unknown }).optional;
    }
    if (t.isObjectPattern(n)) n.properties.forEach((p) => strip(t.isRestElement(p) ? p : (p.value as t.Node)));
    else if (t.isArrayPattern(n)) n.elements.forEach((e) => e && strip(e));
    else if (t.isAssignmentPattern(n)) strip(n.left);
    else if (t.isRestElement(n)) strip(n.argument);
  };
  strip(pattern);
  return pattern;
}

function unsupported(lw: Lowerer, node: t.Node, what: string): null {
  diag.unsupportedAwaitPosition(node, what);
  return null;
}

function describe(node: t.Node): string {
  if (t.isOptionalCallExpression(node) || t.isOptionalMemberExpression(node)) return "an optional chain (`?.`)";
  if (t.isJSXElement(node) || t.isJSXFragment(node)) return "JSX";
  if (t.isYieldExpression(node)) return "`yield`";
  return `this ${node.type}`;
}

/** The steps an awaited expression calls directly (for metadata and the case comment). */
function stepsIn(lw: Lowerer, argument: t.Expression): AwaitSite["steps"] {
  const steps: AwaitSite["steps"] = [];
  walk(argument, (n) => {
    if (!lw.isStepCall(n)) return;
    const kind = t.isIdentifier((n.callee as t.MemberExpression).property) ? stepKindOf(((n.callee as t.MemberExpression).property as t.Identifier).name) : null;
    if (kind) steps.push({ id: stepId(lw, n.arguments[0]), kind });
    return false; // not the steps a step's own callback may call
  });
  return steps;
}

function stepId(lw: Lowerer, arg: t.Node | undefined): string | null {
  if (!arg) return null;
  if (t.isStringLiteral(arg)) return arg.value;
  if (arg.start != null && arg.end != null) {
    const source = lw.code.slice(arg.start, arg.end);
    return t.isTemplateLiteral(arg) ? source.slice(1, -1) : source;
  }
  return null;
}

function describeAwait(site: AwaitSite): string {
  if (site.steps.length === 0) return `await (line ${site.line})`;
  const names = site.steps.map((s) => `step.${s.kind}(${s.id === null ? "…" : JSON.stringify(s.id)})`);
  return `${names.join(", ")} (line ${site.line})`;
}

