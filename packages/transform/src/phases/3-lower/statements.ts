/**
 * Lowering of statements. A statement with no await and no jump out of it is emitted
 * as is (renamed); the rest becomes marks and jumps over `$.state`.
 */
import * as t from "@babel/types";
import { assign, prop, voidZero, type Leap, type Lowerer } from "./lowerer.js";
import { assignable, assignPattern, emitEffect, explode, explodeAwait, explodeValue, hoist } from "./expressions.js";
import { patternNames } from "../../ast/references.js";
import { containsAwait, containsVar, hasEscapingJump } from "./scan.js";
import type { TryRegion } from "./emitter.js";
import { lowerForIn, lowerForOf } from "./iteration.js";
import { keepAssignedName } from "./names.js";

export function lowerStatement(lw: Lowerer, node: t.Statement, label: string | null = null): void {
  const { current } = lw.em;
  const first = current.body.length;
  lowerStatementBody(lw, node, label);
  keepComments(lw, node, current.body[first], lw.em.current.body[lw.em.current.body.length - 1]);
}

/**
 * The user's comments stay next to the code lowered from their statement: leading ones
 * before its first statement, same-line trailing ones after its last. (Babel may attach one
 * comment to two neighbours; each is printed once.)
 */
function keepComments(lw: Lowerer, node: t.Statement, first: t.Statement | undefined, last: t.Statement | undefined): void {
  const fresh = (comments: readonly t.Comment[] | null | undefined, keep: (c: t.Comment) => boolean) =>
    (comments ?? []).filter((c) => keep(c) && !lw.printedComments.has(c)).map((c) => {
      lw.printedComments.add(c);
      return { type: c.type, value: c.value } as t.Comment;
    });
  const leading = fresh(node.leadingComments, () => true);
  const trailing = fresh(node.trailingComments, (c) => c.loc?.start.line === node.loc?.end.line);
  if (leading.length && first) t.addComments(first, "leading", leading);
  if (trailing.length && (last ?? first)) t.addComments((last ?? first)!, "trailing", trailing);
}

function lowerStatementBody(lw: Lowerer, node: t.Statement, label: string | null): void {
  const em = lw.em;
  if (t.isVariableDeclaration(node)) return lowerDeclaration(lw, node);
  if (t.isClassDeclaration(node) && node.id) {
    const expression = t.classExpression(node.id, node.superClass, node.body, node.decorators);
    expression.loc = node.loc;
    return lowerClass(lw, node.id, expression);
  }
  const reassigned = t.isFunctionDeclaration(node) && node.id ? lw.analysis.rename.get(node.id) : undefined;
  if (reassigned?.assigned) {
    // a function declaration whose binding is reassigned is a saved local: made on a fresh run only (at the top,
    // as the language hoists it), so a resumed run keeps what was assigned to it (a checkpoint where it still
    // holds the function fails: a function cannot be saved)
    const fn = node as t.FunctionDeclaration;
    const value = t.functionExpression(null, fn.params, fn.body, fn.generator, fn.async);
    const make = t.assignmentExpression("=", lw.declareVar(reassigned.name), lw.rewriteHoisted(value));
    keepAssignedName(make, "left", fn.id!.name);
    const fresh = t.binaryExpression("===", t.memberExpression(t.cloneNode(lw.ctx), t.identifier("state")), t.numericLiteral(0));
    lw.hoisted.push(t.ifStatement(fresh, t.expressionStatement(make)));
    return;
  }
  if (t.isFunctionDeclaration(node) || t.isClassDeclaration(node) || isTypeDeclaration(node)) {
    lw.hoisted.push(lw.rewriteHoisted(node));
    return;
  }
  if (!needsLowering(lw, node)) {
    if (!t.isEmptyStatement(node)) em.emit(lw.rewrite(node));
    return;
  }
  switch (node.type) {
    case "BlockStatement":
      lw.resetUninitialized(node.body);
      return node.body.forEach((s) => lowerStatement(lw, s));
    case "ExpressionStatement":
      return lowerExpressionStatement(lw, node.expression);
    case "IfStatement":
      return lowerIf(lw, node);
    case "WhileStatement":
    case "DoWhileStatement":
    case "ForStatement":
      return lowerLoop(lw, node, label);
    case "ForOfStatement":
      return lowerForOf(lw, node, label, (s) => lowerStatement(lw, s));
    case "ForInStatement":
      return lowerForIn(lw, node, label, (s) => lowerStatement(lw, s));
    case "LabeledStatement":
      if (t.isLoop(node.body)) return lowerStatement(lw, node.body, node.label.name);
      return lowerLabeledBlock(lw, node);
    case "BreakStatement":
    case "ContinueStatement":
      return lowerJump(lw, node);
    case "ReturnStatement":
      return lowerReturn(lw, node);
    case "ThrowStatement":
      em.emit(t.throwStatement(explodeValue(lw, node.argument)));
      return;
    case "SwitchStatement":
      return lowerSwitch(lw, node);
    case "TryStatement":
      return lowerTry(lw, node);
    default:
      em.emit(lw.rewrite(node));
  }
}

function needsLowering(lw: Lowerer, node: t.Statement): boolean {
  return containsAwait(node) || hasEscapingJump(node, lw.hasPendingFinally()) || containsVar(node);
}

function isTypeDeclaration(node: t.Statement): boolean {
  return t.isTSTypeAliasDeclaration(node) || t.isTSInterfaceDeclaration(node) || t.isTSEnumDeclaration(node) || t.isTSModuleDeclaration(node) || t.isTSDeclareFunction(node);
}

/** Declarations become assignments to locals hoisted to the top of `resume`. */
export function lowerDeclaration(lw: Lowerer, node: t.VariableDeclaration, loopHead = false): void {
  for (const declarator of node.declarations) {
    const names = patternNames(declarator.id).map((id) => lw.analysis.rename.get(id));
    if (isFunctionValued(declarator) && names[0]?.constant && node.kind !== "var") {
      if (t.isClassExpression(declarator.init)) {
        lowerClass(lw, declarator.id as t.Identifier, declarator.init);
        continue;
      }
      if (lw.analysis.checkedNames.has(names[0].name)) {
        // it may be read before its declaration runs: its function is made under another name (as below), and the
        // name is a checked local set where the declaration stands — its TDZ, saved, so a resumed run knows
        const name = names[0].name;
        const made = lw.fresh(`${name}_fn`);
        const named = (value: t.Expression) => t.variableDeclarator(t.identifier(made), namedFunction(value, (declarator.id as t.Identifier).name));
        lw.tdzFunctions.set(name, made);
        if (lw.loopDepth === 0) lw.hoisted.push(t.variableDeclaration("const", [named(lw.rewriteHoisted(declarator.init!))]));
        else {
          lw.hoisted.push(t.variableDeclaration("let", [named(lw.rewrite(declarator.init!))]));
          lw.em.emitAssign(made, named(lw.rewrite(declarator.init!)).init!);
        }
        lw.declareVar(name);
        lw.em.emitAssign(name, t.booleanLiteral(true));
        continue;
      }
      if (lw.loopDepth === 0) {
        lw.hoisted.push(t.variableDeclaration("const", [lw.rewriteHoisted(declarator)]));
        continue;
      }
      // In a loop each iteration makes its own closure: create it where it stands, and again at the top
      // of `resume` (from the restored locals) for a run resumed after this point. Never saved.
      const name = names[0].name;
      const original = (declarator.id as t.Identifier).name;
      lw.hoisted.push(t.variableDeclaration("let", [t.variableDeclarator(t.identifier(name), namedFunction(lw.rewrite(declarator.init!), original))]));
      lw.em.emitAssign(name, namedFunction(lw.rewrite(declarator.init!), original));
      continue;
    }
    for (const info of names) {
      if (!info) continue;
      lw.declareVar(info.name);
      // `for (let i …)` gets a fresh `i` per iteration too: closures snapshot its value when created
      if (lw.loopDepth > 0 && (info.constant || loopHead)) lw.perIteration.add(info.name);
    }
    const init = declarator.init;
    if (!init) {
      // `let x;` in a loop starts each iteration undefined (elsewhere the hoisted local already is, unless
      // checked: then it is initialized here)
      for (const info of names) {
        if (info && node.kind !== "var" && (lw.loopDepth > 0 || lw.analysis.checkedNames.has(info.name))) lw.em.emitAssign(info.name, voidZero());
      }
      continue;
    }
    if (containsAwait(declarator.id)) {
      assignPattern(lw, declarator.id as t.LVal, explodeValue(lw, init));
    } else if (t.isAwaitExpression(init) && !containsAwait(init.argument)) {
      const target = assignable(lw.rewrite(declarator.id as t.LVal));
      explodeAwait(lw, init, (awaited) => t.expressionStatement(t.assignmentExpression("=", target, awaited)));
    } else {
      lw.em.emitAssign(assignable(lw.rewrite(declarator.id as t.LVal)), explodeValue(lw, init));
    }
    // saved when it can be; otherwise made again from its initializer on resume (2-analyze.ts `Recreation`)
    if (names[0]?.recreation?.recreatable) lw.recreated.push({ name: names[0].name, saved: true, creation: lw.rewriteHoisted(init), original: declarator });
  }
}

/**
 * A class is created where it stands (its computed keys and static initialisers run in
 * order, once), in a local that is never saved; a run resumed where the class is still
 * used creates it again at the top of `resume` (locals.ts decides where).
 */
function lowerClass(lw: Lowerer, id: t.Identifier, expression: t.ClassExpression): void {
  const name = lw.analysis.rename.get(id)?.name ?? id.name;
  lw.declareUnsaved(name);
  lw.em.emitAssign(name, lw.rewrite(expression));
  lw.recreated.push({ name, saved: false, creation: lw.rewriteHoisted(expression), original: expression });
}

/**
 * `value` (a rewritten anonymous function, or a loop's per-iteration snapshot of one, `((i) => () => i)(i)`) with the
 * function named `name`, as the declaration names it.
 */
function namedFunction(value: t.Expression, name: string): t.Expression {
  const snapshot = t.isCallExpression(value) && t.isArrowFunctionExpression(value.callee) && t.isExpression(value.callee.body) ? value.callee : null;
  const holder = t.variableDeclarator(t.identifier(name), snapshot ? (snapshot.body as t.Expression) : value);
  keepAssignedName(holder, "id", name);
  if (!snapshot) return holder.init!;
  snapshot.body = holder.init!;
  return value;
}

function isFunctionValued(declarator: t.VariableDeclarator): boolean {
  const init = declarator.init;
  return t.isIdentifier(declarator.id) && (t.isArrowFunctionExpression(init) || t.isFunctionExpression(init) || t.isClassExpression(init));
}

function lowerExpressionStatement(lw: Lowerer, expression: t.Expression): void {
  emitEffect(lw, explode(lw, expression, true));
}

function lowerIf(lw: Lowerer, node: t.IfStatement): void {
  const em = lw.em;
  const otherwise = node.alternate ? em.newState() : null;
  const after = em.newState();
  em.jumpUnless(explodeValue(lw, node.test), otherwise ?? after);
  lowerStatement(lw, node.consequent);
  if (node.alternate) {
    em.jump(after);
    em.mark(otherwise!, `else (line ${node.alternate.loc?.start.line})`);
    lowerStatement(lw, node.alternate);
  }
  em.mark(after, `end of if (line ${node.loc?.start.line})`);
}

function inLoop(lw: Lowerer, leap: Leap, body: () => void): void {
  lw.loopDepth++;
  try {
    lw.withLeap(leap, body);
  } finally {
    lw.loopDepth--;
  }
}

function lowerLoop(lw: Lowerer, node: t.WhileStatement | t.DoWhileStatement | t.ForStatement, label: string | null): void {
  const em = lw.em;
  const line = node.loc?.start.line;
  const head = em.newState();
  const next = em.newState();
  const after = em.newState();
  const leap: Leap = { kind: "loop", label, breakState: after, continueState: next };
  if (t.isForStatement(node) && node.init) {
    if (t.isVariableDeclaration(node.init)) {
      lw.loopDepth++;
      lowerDeclaration(lw, node.init, node.init.kind !== "var");
      lw.loopDepth--;
    } else {
      emitEffect(lw, explode(lw, node.init, true));
    }
  }
  if (t.isDoWhileStatement(node)) {
    em.mark(head, `do…while body (line ${line})`);
    inLoop(lw, leap, () => lowerStatement(lw, node.body));
    em.mark(next, `do…while test (line ${line})`);
    em.jumpIf(explodeValue(lw, node.test), head);
    em.mark(after);
    return;
  }
  em.mark(head, `loop head (line ${line})`);
  if (node.test) em.jumpUnless(explodeValue(lw, node.test), after);
  inLoop(lw, leap, () => lowerStatement(lw, node.body));
  em.mark(next, `loop continue (line ${line})`);
  if (t.isForStatement(node) && node.update) emitEffect(lw, explode(lw, node.update, true));
  em.jump(head);
  em.mark(after, `after loop (line ${line})`);
}

function lowerLabeledBlock(lw: Lowerer, node: t.LabeledStatement): void {
  const after = lw.em.newState();
  lw.withLeap({ kind: "block", label: node.label.name, breakState: after }, () => lowerStatement(lw, node.body));
  lw.em.mark(after, `end of ${node.label.name}: (line ${node.loc?.start.line})`);
}

function lowerJump(lw: Lowerer, node: t.BreakStatement | t.ContinueStatement): void {
  const isBreak = t.isBreakStatement(node);
  const name = node.label?.name ?? null;
  for (let i = lw.leaps.length - 1; i >= 0; i--) {
    const leap = lw.leaps[i]!;
    if (leap.kind === "finally") continue;
    const labelled = leap.kind === "loop" || leap.kind === "block" ? leap.label : null;
    const matches = name ? labelled === name && (isBreak || leap.kind === "loop") : isBreak ? leap.kind !== "block" : leap.kind === "loop";
    if (!matches) continue;
    const target = !isBreak && leap.kind === "loop" ? leap.continueState : leap.breakState;
    lw.routeJump(target, leap).forEach((s) => lw.em.emit(s));
    return;
  }
  lw.em.emit(lw.rewrite(node)); // unreachable for valid programs: the parser checks targets
}

function lowerReturn(lw: Lowerer, node: t.ReturnStatement): void {
  const argument = node.argument;
  if (argument && t.isAwaitExpression(argument) && !containsAwait(argument.argument) && !lw.hasPendingFinally()) {
    explodeAwait(lw, argument, (awaited) => t.returnStatement(awaited));
    return;
  }
  const value = argument ? explodeValue(lw, argument) : voidZero();
  lw.routeReturn(value).forEach((s) => lw.em.emit(s));
}

function lowerSwitch(lw: Lowerer, node: t.SwitchStatement): void {
  const em = lw.em;
  const discriminant = hoist(lw, explodeValue(lw, node.discriminant));
  lw.resetUninitialized(node.cases.flatMap((c) => c.consequent));
  const after = em.newState();
  const states = node.cases.map(() => em.newState());
  node.cases.forEach((c, i) => {
    if (c.test) em.jumpIf(t.binaryExpression("===", lw.copy(discriminant), explodeValue(lw, c.test)), states[i]!);
  });
  const fallback = node.cases.findIndex((c) => !c.test);
  em.jump(fallback >= 0 ? states[fallback]! : after);
  lw.withLeap({ kind: "switch", breakState: after }, () => {
    node.cases.forEach((c, i) => {
      em.mark(states[i]!, `${c.test ? "case" : "default"} (line ${c.loc?.start.line})`);
      c.consequent.forEach((s) => lowerStatement(lw, s));
    });
  });
  em.mark(after, `end of switch (line ${node.loc?.start.line})`);
}

/**
 * try/catch/finally over states: each case knows its innermost try region, and the
 * machine's outer `catch` routes an exception (e.g. a StepError thrown at an await) to
 * the region's `catch` block, or to its `finally` with a pending `throw` completion.
 * Completions pending across a `finally` (`return`, `break`, `throw`) live in a local.
 */
function lowerTry(lw: Lowerer, node: t.TryStatement): void {
  const em = lw.em;
  const line = node.loc?.start.line;
  const outer = em.region;
  const tryState = em.newState();
  const catchState = node.handler ? em.newState() : null;
  const finallyState = node.finalizer ? em.newState() : null;
  const after = em.newState();
  const completion = node.finalizer ? lw.declareVar(lw.fresh("completion")) : null;

  const finallyRegion: TryRegion | null = completion
    ? {
        parent: outer,
        handlerState: finallyState!,
        store: (error) => assign(completion.name, t.objectExpression([prop("type", t.stringLiteral("throw")), prop("value", error)])),
        stores: completion.name,
      }
    : null;
  const param = node.handler?.param ?? null;
  const caught = param ? (t.isIdentifier(param) ? lw.declareVar(lw.analysis.rename.get(param)?.name ?? param.name) : lw.temp()) : null;
  const catchRegion: TryRegion | null = node.handler
    ? { parent: finallyRegion ?? outer, handlerState: catchState!, store: (error) => (caught ? assign(caught.name, error) : null), stores: caught?.name ?? null }
    : null;
  const finallyLeap: Leap | null = completion
    ? { kind: "finally", completion: completion.name, finallyState: finallyState!, jumps: new Map(), returns: false }
    : null;
  const toFinallyOrAfter = () => {
    if (completion) {
      em.emitAssign(completion.name, t.nullLiteral());
      em.jump(finallyState!);
    } else {
      em.jump(after);
    }
  };
  const protectedPart = (body: () => void) => (finallyLeap ? lw.withLeap(finallyLeap, body) : body());

  protectedPart(() => {
    em.region = catchRegion ?? finallyRegion;
    em.mark(tryState, `try (line ${line})`);
    lowerStatement(lw, node.block);
    toFinallyOrAfter();
    if (node.handler) {
      em.region = finallyRegion ?? outer;
      em.mark(catchState!, `catch (line ${node.handler.loc?.start.line})`);
      if (param && !t.isIdentifier(param)) {
        for (const id of patternNames(param)) lw.declareVar(lw.analysis.rename.get(id)?.name ?? id.name);
        assignPattern(lw, param, t.cloneNode(caught!));
      }
      lowerStatement(lw, node.handler.body);
      toFinallyOrAfter();
    }
  });

  em.region = outer;
  if (node.finalizer && finallyLeap?.kind === "finally") {
    em.mark(finallyState!, `finally (line ${node.finalizer.loc?.start.line})`);
    lowerStatement(lw, node.finalizer);
    resumeCompletion(lw, finallyLeap);
  }
  em.mark(after, `end of try (line ${line})`);
}

/** At the end of a `finally`: carry on with the completion that was pending when it started. */
function resumeCompletion(lw: Lowerer, leap: Extract<Leap, { kind: "finally" }>): void {
  const em = lw.em;
  const completion = () => t.identifier(leap.completion);
  const field = (name: string) => t.memberExpression(completion(), t.identifier(name));
  const pending = (type: string) => t.binaryExpression("===", t.optionalMemberExpression(completion(), t.identifier("type"), false, true), t.stringLiteral(type));
  em.branch(pending("throw"), [t.throwStatement(field("value"))]);
  if (leap.returns) em.branch(pending("return"), lw.routeReturn(field("value")));
  for (const [state, target] of leap.jumps) {
    em.branch(t.logicalExpression("&&", pending("jump"), t.binaryExpression("===", field("target"), em.stateLiteral(state))), lw.routeJump(state, target));
  }
}
