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
import { isStateOf } from "./metadata.js";
import { expandShorthand, keepAssignedName } from "./names.js";
import { findOccurrences, type Occurrence } from "./resolve.js";

export interface CapturedLocals {
  /** per await state (before renumbering): the locals a checkpoint there must save */
  live: Map<number, string[]>;
  /** every local saved at some checkpoint, in declaration order */
  captured: string[];
  /**
   * per local a resumed run re-creates when a checkpoint could not save it: the locals its initializer reads
   * (machine.ts `recreate`; a checkpoint that leaves the local out saves those instead)
   */
  recreate: Record<string, string[]>;
  /** locals made by a call that 2-analyze found re-creatable but the lowered code does not let re-create → why (saved instead) */
  notRecreated: Map<string, string>;
}

export function captureLocals(lw: Lowerer, { resume, locals, recreations }: AssembledResume): CapturedLocals {
  const { localsObject } = lw;
  const declared = [...lw.vars];
  const own = new Set(declared);
  const hoistedNames = new Set(lw.hoisted.flatMap(declaredNames));
  // a re-created class or local is live where it is used and, re-created, reads what its creation reads
  const recreated = new Set(recreations.map((r) => r.name));
  const creation = (r: AssembledResume["recreations"][number]) => t.variableDeclaration("let", [t.variableDeclarator(t.identifier(r.name), r.creation)]);
  const refs = new WeakMap<t.Identifier, string>();
  const occurrences: Occurrence[] = [];
  // a call of a re-created function reads what that function reads
  const functionRefs = new Map<t.Node, string>();
  for (const occurrence of findOccurrences(resume.body, new Set([...own, ...hoistedNames]))) {
    const name = occurrence.node.name;
    if (hoistedNames.has(name) || recreated.has(name)) functionRefs.set(occurrence.node, name);
    // reading a TDZ-checked function const reads its function
    const made = lw.tdzFunctions.get(name);
    if (made) functionRefs.set(occurrence.node, made);
    if (!hoistedNames.has(name)) {
      refs.set(occurrence.node, name);
      occurrences.push(occurrence);
    }
  }

  // a class is never saved: where it is live, so is what its creation reads. A local made by a call is saved
  // when it can be: what its creation reads is saved only by a checkpoint that leaves it out (`needs`).
  const classes = recreations.filter((r) => !r.saved).map(creation);
  const liveIn = computeLiveness(lw.em, refs, functionReads([...lw.hoisted, ...classes], refs, functionRefs), lw.checked);
  const needs = functionReads([...lw.hoisted, ...recreations.map(creation)], refs, functionRefs).reads;
  const saveable = declared.filter((n) => !lw.unsaved.has(n));
  const live = new Map(lw.awaits.map((a) => [a.state, saveable.filter((n) => liveIn.get(a.state)!.has(n))]));
  const notRecreated = whereNotRecreatable(lw, recreations, liveIn, refs, functionRefs, needs);
  const kept = recreations.filter((r) => !notRecreated.has(r.name));
  resume.body.body = resume.body.body.filter((s) => kept.some((r) => r.guard === s) || !recreations.some((r) => r.guard === s));
  const recreate = guardRecreations(lw, kept, liveIn, needs, resume, localsObject);
  for (const name of Object.keys(recreate)) recreate[name] = saveable.filter((n) => n !== name && needs.get(name)!.has(n));
  const captured = declared.filter((n) => [...live.values()].some((names) => names.includes(n)) || Object.values(recreate).some((inputs) => inputs.includes(n)));

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
    const made = lw.tdzFunctions.get(node.name);
    if (made && !(t.isAssignmentExpression(slot.parent) && slot.key === "left")) {
      // a read of a TDZ-checked function const: its initialization (throws before it), then its function
      replaceAt(slot, checked ? t.sequenceExpression([member, t.identifier(made)]) : t.identifier(made));
      continue;
    }
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
  return { live, captured, recreate, notRecreated };
}

/**
 * A class live at an await is created again when a run resumes there (`$.state === S`);
 * one whose creation runs code of its own (static initialisers, computed keys, `extends`
 * over a call) is reported: that code runs again on resume. A local made by a call is
 * saved there, and made again only when the checkpoint could not save it: then it is
 * missing from the restored locals (`!("client" in L)`). What a re-creation reads is
 * re-created first where it is missing too (declaration order).
 */
function guardRecreations(
  lw: Lowerer,
  recreations: AssembledResume["recreations"],
  liveIn: Map<number, Set<string>>,
  needs: Map<string, Set<string>>,
  resume: t.ObjectMethod,
  localsObject: t.Identifier,
): Record<string, string[]> {
  const recreate: Record<string, string[]> = {};
  const any = (tests: (t.Expression | null)[]) => tests.filter((e) => e !== null).reduce<t.Expression | null>((all, one) => (all ? t.logicalExpression("||", all, one) : one), null);
  const liveAt = (name: string) => lw.awaits.filter((a) => liveIn.get(a.state)!.has(name));
  const resumedWhereLive = (name: string) => any(liveAt(name).map((a) => t.binaryExpression("===", t.memberExpression(t.cloneNode(lw.ctx), t.identifier("state")), lw.em.stateLiteral(a.state))));
  const missing = (name: string) => t.unaryExpression("!", t.binaryExpression("in", t.stringLiteral(name), t.cloneNode(localsObject)));
  const made = (r: (typeof recreations)[number]) => {
    const resumed = resumedWhereLive(r.name);
    return resumed && r.saved ? t.logicalExpression("&&", resumed, missing(r.name)) : resumed;
  };
  for (const recreation of recreations) {
    const { name, guard } = recreation;
    const users = recreations.filter((r) => r.name !== name && needs.get(r.name)!.has(name));
    const needed = any([resumedWhereLive(name), ...users.map(made)]);
    if (!needed) {
      resume.body.body = resume.body.body.filter((s) => s !== guard);
      continue;
    }
    guard.test = recreation.saved ? t.logicalExpression("&&", missing(name), needed) : needed;
    if (recreation.saved) recreate[name] = [];
    else if (runsCodeWhenCreated(recreation.original) || marksOtherObjects(recreation.original)) {
      const line = (liveAt(name)[0] ?? users.flatMap((u) => liveAt(u.name))[0])!.line;
      diag.classRecreated(recreation.original, name, line, !runsCodeWhenCreated(recreation.original));
    }
  }
  return recreate;
}

/**
 * Where a local made by a call cannot be re-created after all, seen over the lowered cases:
 * - code that runs between its creation and an await where it is live uses it — `client.connect()`, `cart.add(x)`,
 *   passing it on, a function that reads it: a resumed run would not do that again. Step callbacks do not count (a
 *   memoized step does not run again either, as in a replay), nor does the creation of another re-created local. A
 *   use reaches the states it can jump to, up to where the local is created again (a loop's next iteration); an
 *   exception may leave from anywhere;
 * - it may be live at an await before its declaration ran (a `var`, or a `let`/`const` whose initialization is
 *   checked): there it is absent from the locals object, which must not mean "re-create it".
 * Returns why, per such local.
 */
function whereNotRecreatable(
  lw: Lowerer,
  recreations: AssembledResume["recreations"],
  liveIn: Map<number, Set<string>>,
  refs: WeakMap<t.Identifier, string>,
  functionRefs: Map<t.Node, string>,
  needs: Map<string, Set<string>>,
): Map<string, string> {
  const why = new Map<string, string>();
  const watched = new Set(recreations.filter((r) => r.saved).map((r) => r.name));
  if (watched.size === 0) return why;
  // per case, by the index of its statement: where it jumps (`at` null: an exception, from anywhere), what it creates and uses
  type Edge = { next: number; at: number | null };
  const cases = new Map<number, { edges: Edge[]; created: Map<string, number>; used: Map<string, { at: number; use: t.Node }> }>();
  for (const c of lw.em.cases) {
    const edges: Edge[] = c.region ? [{ next: c.region.handlerState, at: null }] : [];
    const created = new Map<string, number>();
    const used = new Map<string, { at: number; use: t.Node }>();
    c.body.forEach((statement, at) => {
      walk(statement, (n, slot) => {
        if (slot && slot.key === "arguments" && t.isFunction(n) && lw.isStepCall(slot.parent)) return false;
        if (t.isAssignmentExpression(n, { operator: "=" }) && t.isIdentifier(n.left) && watched.has(n.left.name)) {
          created.set(n.left.name, at);
          return false;
        }
        if (t.isAssignmentExpression(n) && isStateOf(n.left, lw.ctx) && t.isNumericLiteral(n.right)) edges.push({ next: n.right.value, at });
        if (!t.isIdentifier(n)) return;
        const name = refs.get(n);
        const fn = functionRefs.get(n);
        for (const x of [...(name ? [name] : []), ...(fn ? (needs.get(fn) ?? []) : [])]) if (watched.has(x) && !used.has(x)) used.set(x, { at, use: n });
      });
    });
    cases.set(c.state, { edges, created, used });
  }
  const createdBetween = (created: number | undefined, from: number, edge: Edge) => created !== undefined && edge.at !== null && created >= from && created < edge.at;
  /** the states reached from `starts` (a state, by what), up to where `name` is created again */
  const reach = (name: string, starts: { next: number; from: t.Node | null }[]) => {
    const reached = new Map<number, t.Node | null>();
    for (let item = starts.shift(); item; item = starts.shift()) {
      if (reached.has(item.next)) continue;
      reached.set(item.next, item.from);
      const { edges, created } = cases.get(item.next)!;
      for (const edge of edges) if (!createdBetween(created.get(name), 0, edge)) starts.push({ next: edge.next, from: item.from });
    }
    return reached;
  };
  const liveAt = (name: string, states: Map<number, unknown>) => lw.awaits.find((a) => states.has(a.state) && liveIn.get(a.state)!.has(name));
  for (const name of watched) {
    if (lw.analysis.checkedNames.has(name) || liveAt(name, reach(name, [{ next: lw.em.cases[0]!.state, from: null }]))) {
      why.set(name, "it may be read before its declaration has run");
      continue;
    }
    const afterUse: { next: number; from: t.Node }[] = [];
    for (const { edges, created, used } of cases.values()) {
      const use = used.get(name);
      if (use) for (const edge of edges) if ((edge.at === null || edge.at >= use.at) && !createdBetween(created.get(name), use.at, edge)) afterUse.push({ next: edge.next, from: use.use });
    }
    const reached = reach(name, afterUse);
    const at = liveAt(name, reached);
    if (at) why.set(name, `it is used on line ${reached.get(at.state)!.loc?.start.line} before the await on line ${at.line}, which a resumed run does not do again`);
  }
  return why;
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

/**
 * A derived class with private instance fields, methods or accessors: its constructor gives them to whatever
 * `super()` returns — a plain object when a base constructor returns one — and a class created again has other
 * private names, so an object marked before a checkpoint is not marked for the re-created class.
 */
function marksOtherObjects(node: t.ClassExpression): boolean {
  return !!node.superClass && node.body.body.some((member) => (t.isClassPrivateProperty(member) || t.isClassPrivateMethod(member) || (t.isClassAccessorProperty(member) && t.isPrivateName(member.key))) && !member.static);
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
