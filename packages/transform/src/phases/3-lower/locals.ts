/**
 * Which hoisted locals are captured (live at some await) and the rewrite of those to
 * `L.name` (`L` = `$.locals`). resolve.ts tells which identifiers of the assembled
 * `resume` are our locals and which belong to nested scopes that shadow them.
 */
import * as t from "@babel/types";
import * as diag from "../../diagnostics.js";
import { declaredNames } from "../../ast/references.js";
import { replaceAt, walk, type Slot } from "../../ast/walk.js";
import type { AssembledResume } from "./resume.js";
import { computeLiveness } from "./liveness.js";
import type { Lowerer } from "./lowerer.js";
import { expandShorthand, keepAssignedName } from "./names.js";
import { findOccurrences, type Occurrence } from "./resolve.js";

export interface CapturedLocals {
  /** per await state (before renumbering): the locals a checkpoint there must save */
  live: Map<number, string[]>;
  /** every local saved at some checkpoint, in declaration order */
  captured: string[];
}

export function captureLocals(lw: Lowerer, { resume, locals, recreations }: AssembledResume): CapturedLocals {
  const { localsObject } = lw;
  const declared = [...lw.vars];
  const own = new Set(declared);
  const hoistedNames = new Set(lw.hoisted.flatMap(declaredNames));
  // a class is a local (live where it is used) and, re-created, reads what its definition reads
  const classes = new Set(recreations.map((r) => r.name));
  const creations = recreations.map((r) => t.variableDeclaration("let", [t.variableDeclarator(t.identifier(r.name), r.creation)]));
  const refs = new WeakMap<t.Identifier, string>();
  const occurrences: Occurrence[] = [];
  // a call of a re-created function reads what that function reads
  const functionRefs = new Map<t.Node, string>();
  for (const occurrence of findOccurrences(resume.body, new Set([...own, ...hoistedNames]))) {
    const name = occurrence.node.name;
    if (hoistedNames.has(name) || classes.has(name)) functionRefs.set(occurrence.node, name);
    if (!hoistedNames.has(name)) {
      refs.set(occurrence.node, name);
      occurrences.push(occurrence);
    }
  }

  const liveIn = computeLiveness(lw.em, refs, functionReads([...lw.hoisted, ...creations], refs, functionRefs), lw.checked);
  recreateClasses(lw, recreations, liveIn, resume);
  const saveable = declared.filter((n) => !lw.unsaved.has(n));
  const live = new Map(lw.awaits.map((a) => [a.state, saveable.filter((n) => liveIn.get(a.state)!.has(n))]));
  const captured = declared.filter((n) => [...live.values()].some((names) => names.includes(n)));

  // a local whose initialization is checked lives on the locals object too: absent there, it is uninitialized
  const onLocals = new Set([...captured, ...declared.filter((n) => lw.analysis.checkedNames.has(n))]);
  let initialized: t.Identifier | null = null;
  for (const { node, ...slot } of occurrences) {
    if (!onLocals.has(node.name)) continue;
    const checked = lw.checked.has(node);
    if (checked) initialized ??= t.identifier(lw.fresh("initialized"));
    // `initialized("x")` is the locals object once `x` is initialized, else an object whose `x` throws
    const object = checked ? t.callExpression(t.cloneNode(initialized!), [t.stringLiteral(node.name)]) : t.cloneNode(localsObject);
    const member = t.memberExpression(object, t.identifier(node.name));
    member.loc = node.loc;
    keepAssignedName(slot.parent, slot.key, node.name);
    if (t.isObjectProperty(slot.parent) && slot.parent.shorthand) expandShorthand(slot.parent);
    // `L.f()` would call `f` with the locals object as `this`
    replaceAt(slot, isCallee(slot) ? t.sequenceExpression([t.numericLiteral(0), member]) : member);
  }
  if (locals) {
    locals.declarations = locals.declarations.filter((d) => !onLocals.has((d.id as t.Identifier).name));
    if (locals.declarations.length === 0) resume.body.body.shift();
  }
  if (initialized) resume.body.body.unshift(initializedCheck(initialized, localsObject));
  if (onLocals.size || lw.resetsLocals) {
    const fromContext = t.memberExpression(t.cloneNode(lw.ctx), t.identifier("locals"));
    resume.body.body.unshift(t.variableDeclaration("const", [t.variableDeclarator(localsObject, fromContext)]));
  }
  return { live, captured };
}

/**
 * A class live at an await is created again when a run resumes there (`$.state === S`);
 * one whose creation runs code of its own (static initialisers, computed keys, `extends`
 * over a call) is reported: that code runs again on resume.
 */
function recreateClasses(lw: Lowerer, recreations: AssembledResume["recreations"], liveIn: Map<number, Set<string>>, resume: t.ObjectMethod): void {
  for (const { name, guard, original } of recreations) {
    const states = lw.awaits.filter((a) => liveIn.get(a.state)!.has(name));
    if (states.length === 0) {
      resume.body.body = resume.body.body.filter((s) => s !== guard);
      continue;
    }
    const resumedAt = (state: number) => t.binaryExpression("===", t.memberExpression(t.cloneNode(lw.ctx), t.identifier("state")), lw.em.stateLiteral(state));
    guard.test = states.map((a): t.Expression => resumedAt(a.state)).reduce((all, one) => t.logicalExpression("||", all, one));
    if (runsCodeWhenCreated(original)) diag.classRecreated(original, name, states[0]!.line);
  }
}

function runsCodeWhenCreated(node: t.ClassExpression): boolean {
  const dynamic = (n: t.Node | null | undefined) => !!n && !t.isIdentifier(n) && !t.isLiteral(n) && !t.isMemberExpression(n);
  if (dynamic(node.superClass) || node.decorators?.length) return true;
  return node.body.body.some(
    (member) =>
      t.isStaticBlock(member) ||
      ("computed" in member && member.computed && !t.isLiteral(member.key) && !t.isIdentifier(member.key)) ||
      ("static" in member && member.static && (t.isClassProperty(member) || t.isClassPrivateProperty(member)) && member.value != null) ||
      ("decorators" in member && !!member.decorators?.length),
  );
}

/** For each re-created function: the locals it (and the functions it calls) may read. */
function functionReads(hoisted: t.Statement[], refs: WeakMap<t.Identifier, string>, functionRefs: Map<t.Node, string>) {
  const direct = new Map<string, { reads: Set<string>; calls: Set<string> }>();
  for (const declaration of hoisted) {
    const reads = new Set<string>();
    const calls = new Set<string>();
    walk(declaration, (n) => {
      if (!t.isIdentifier(n)) return;
      const name = refs.get(n);
      if (name) reads.add(name);
      const fn = functionRefs.get(n);
      if (fn) calls.add(fn);
    });
    for (const name of declaredNames(declaration)) direct.set(name, { reads, calls });
  }
  const reads = new Map<string, Set<string>>();
  for (const [name] of direct) {
    const all = new Set<string>();
    const seen = new Set<string>();
    const add = (fn: string) => {
      if (seen.has(fn)) return;
      seen.add(fn);
      const entry = direct.get(fn);
      entry?.reads.forEach((r) => all.add(r));
      entry?.calls.forEach(add);
    };
    add(name);
    reads.set(name, all);
  }
  return { functionRefs, reads };
}

/**
 * `const initialized = (name) => Object.hasOwn(L, name) ? L : { get [name]() { throw … }, set [name](_) { throw … } };`
 * Reading, writing or calling `initialized("x").x` throws the language's ReferenceError while `x` is
 * uninitialized; a write evaluates its value first, as the language does.
 */
function initializedCheck(initialized: t.Identifier, localsObject: t.Identifier): t.Statement {
  const name = t.identifier("name");
  const fail = () =>
    t.blockStatement([
      t.throwStatement(
        t.newExpression(t.identifier("ReferenceError"), [
          t.templateLiteral([t.templateElement({ raw: "Cannot access '" }), t.templateElement({ raw: "' before initialization" }, true)], [t.cloneNode(name)]),
        ]),
      ),
    ]);
  const thrower = t.objectExpression([
    t.objectMethod("get", t.cloneNode(name), [], fail(), true),
    t.objectMethod("set", t.cloneNode(name), [t.identifier("_")], fail(), true),
  ]);
  const hasOwn = t.callExpression(t.memberExpression(t.identifier("Object"), t.identifier("hasOwn")), [t.cloneNode(localsObject), t.cloneNode(name)]);
  const check = t.arrowFunctionExpression([name], t.conditionalExpression(hasOwn, t.cloneNode(localsObject), thrower));
  return t.variableDeclaration("const", [t.variableDeclarator(initialized, check)]);
}

function isCallee({ parent, key }: Slot): boolean {
  return ((t.isCallExpression(parent) || t.isOptionalCallExpression(parent)) && key === "callee") || (t.isTaggedTemplateExpression(parent) && key === "tag");
}
