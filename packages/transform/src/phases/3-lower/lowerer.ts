/**
 * Shared state of one handler's lowering: the emitter, the hoisted locals, the
 * leap stack (break/continue/return targets, pending `finally`s), fresh names, and
 * `rewrite`, which clones original nodes with the analysis' renames applied.
 */
import * as t from "@babel/types";
import type { Analysis } from "../2-analyze.js";
import { isReference, patternNames } from "../../ast/references.js";
import { mapChildren, walk } from "../../ast/walk.js";
import { Emitter } from "./emitter.js";
import { constAssignment, constTarget, uninitializedRead } from "./errors.js";
import { expandShorthand, keepAnonymous, keepAssignedName, namingSlot } from "./names.js";

export type Leap =
  | { kind: "loop"; label: string | null; breakState: number; continueState: number }
  | { kind: "switch"; breakState: number }
  | { kind: "block"; label: string; breakState: number }
  | { kind: "finally"; completion: string; finallyState: number; jumps: Map<number, Leap>; returns: boolean };

export interface AwaitSite {
  state: number;
  line: number;
  /** the steps called directly in the awaited expression (none: a plain await or a helper) */
  steps: { id: string | null; kind: "run" | "sleep" | "sleepUntil" | "waitForEvent" }[];
}

export type Recreated =
  | { name: string; saved: false; creation: t.ClassExpression; original: t.ClassExpression }
  | { name: string; saved: true; creation: t.Expression; original: t.Node };

export class Lowerer {
  readonly em: Emitter;
  /** locals hoisted to the top of `resume` (the ones live across an await end up in `$.locals`) */
  readonly vars = new Set<string>();
  /** hoisted locals never saved (iterators: re-created on resume) */
  readonly unsaved = new Set<string>();
  /**
   * a `const f = () => …` that may be read before its declaration runs → the name of its function, made at the top
   * of `resume`; `f` itself is a checked local set (to `true`) where the declaration stands: its TDZ, saved
   */
  readonly tdzFunctions = new Map<string, string>();
  /** function / class / type declarations re-created at the top of `resume` */
  readonly hoisted: t.Statement[] = [];
  /**
   * Created where they stand, and again at the top of `resume` (in declaration order) in the states where they are
   * live: classes (never saved), and locals made by a call that a checkpoint could not save (`saved`; locals.ts).
   */
  readonly recreated: Recreated[] = [];
  readonly awaits: AwaitSite[] = [];
  readonly leaps: Leap[] = [];
  /** constant locals declared inside a lowered loop: closures must capture their current value */
  readonly perIteration = new Set<string>();
  /** identifiers created by rewrite that must check their local is initialized (analysis' `uninitializedChecks`) */
  readonly checked = new WeakSet<t.Identifier>();
  /** `$.step` nodes created by rewrite (a call on them is a step call) */
  readonly stepNodes = new WeakSet<t.Node>();
  /** user comments already placed in the output */
  readonly printedComments = new WeakSet<t.Comment>();
  /** `L`: the locals object (`$.locals`) in `resume` */
  readonly localsObject: t.Identifier;
  /** a statement resets a checked local to uninitialized (`delete L.x`): `resume` needs the locals object */
  resetsLocals = false;
  loopDepth = 0;
  /** lowering an awaited expression: its effects are computed before the state (expressions.ts) */
  effectsOnce = false;
  private readonly taken: Set<string>;
  private tempCount = 0;
  private readonly temps = new Set<string>();

  constructor(
    readonly analysis: Analysis,
    readonly ctx: t.Identifier,
    readonly code: string,
  ) {
    this.em = new Emitter(ctx);
    this.taken = new Set([...analysis.usedNames, ...[...analysis.rename.values()].map((b) => b.name), ctx.name]);
    this.localsObject = t.identifier(this.fresh("L"));
  }

  /**
   * Entering a scope again (a lowered block or switch in a loop): its checked `let`/`const`/`class`
   * locals are uninitialized again — absent from the locals object — until their declarations run.
   */
  resetUninitialized(statements: readonly t.Statement[]): void {
    if (this.loopDepth === 0) return;
    for (const statement of statements) {
      const ids = t.isVariableDeclaration(statement) && statement.kind !== "var" ? statement.declarations.flatMap((d) => patternNames(d.id)) : t.isClassDeclaration(statement) && statement.id ? [statement.id] : [];
      for (const id of ids) {
        const name = this.analysis.rename.get(id)?.name;
        if (!name || !this.analysis.checkedNames.has(name)) continue;
        this.resetsLocals = true;
        this.em.emit(t.expressionStatement(t.unaryExpression("delete", t.memberExpression(t.cloneNode(this.localsObject), t.identifier(name)))));
      }
    }
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** A new hoisted temporary. */
  temp(): t.Identifier {
    let name: string;
    do name = `t${++this.tempCount}`;
    while (this.taken.has(name));
    this.taken.add(name);
    this.vars.add(name);
    this.temps.add(name);
    return t.identifier(name);
  }

  /** Is `node` a read of one of our temporaries (no effect, cannot throw)? */
  isTemp(node: t.Node): boolean {
    return t.isIdentifier(node) && this.temps.has(node.name);
  }

  declareVar(name: string): t.Identifier {
    this.vars.add(name);
    return t.identifier(name);
  }

  /** A hoisted local that is never saved: a resumed run finds it `undefined` (and re-creates it). */
  declareUnsaved(name: string): t.Identifier {
    this.unsaved.add(name);
    return this.declareVar(name);
  }

  /** `t.cloneNode` of lowered code: a copied read of a local whose initialization is checked stays checked. */
  copy<T extends t.Node>(node: T): T {
    const copy = t.cloneNode(node);
    const carry = (from: t.Node, to: t.Node) => {
      if (t.isIdentifier(from) && this.checked.has(from)) this.checked.add(to as t.Identifier);
      for (const key of t.VISITOR_KEYS[from.type] ?? []) {
        const [a, b] = [(from as unknown as Record<string, unknown>)[key], (to as unknown as Record<string, unknown>)[key]];
        if (Array.isArray(a)) a.forEach((n, i) => n && carry(n as t.Node, (b as t.Node[])[i]!));
        else if (a) carry(a as t.Node, b as t.Node);
      }
    };
    carry(node, copy);
    return copy;
  }

  /** Clone an original node, renaming handler bindings and turning `step` into `$.step`. */
  rewrite<T extends t.Node>(node: T): T {
    return this.clone(node, false) as T;
  }

  /**
   * Declarations re-created at the top of `resume` read the locals' current values
   * (they are created before any iteration, so a per-iteration snapshot would be wrong).
   */
  rewriteHoisted<T extends t.Node>(node: T): T {
    this.hoisting = true;
    try {
      return this.clone(node, false) as T;
    } finally {
      this.hoisting = false;
    }
  }

  private hoisting = false;

  private clone(node: t.Node, isStepArgument: boolean): t.Node {
    if (this.analysis.constAssignments.has(node)) return this.clone(constAssignment(node as t.AssignmentExpression), isStepArgument);
    if (t.isIdentifier(node)) {
      if (this.analysis.stepRefs.has(node)) {
        const step = t.memberExpression(t.identifier(this.ctx.name), t.identifier("step"));
        step.loc = node.loc;
        this.stepNodes.add(step);
        return step;
      }
      if (this.analysis.uninitializedReads.has(node)) return uninitializedRead(node.name);
      if (this.analysis.constTargets.has(node)) return constTarget();
      const info = this.analysis.rename.get(node);
      const copy = t.identifier(info ? info.name : node.name);
      copy.loc = node.loc;
      if (node.typeAnnotation) copy.typeAnnotation = this.clone(node.typeAnnotation, false) as t.TypeAnnotation;
      if (node.optional) copy.optional = true;
      if (this.analysis.uninitializedChecks.has(node)) this.checked.add(copy);
      return copy;
    }
    const stepCall = t.isCallExpression(node) && this.isStepCallee(node.callee);
    const result = mapChildren(node, (child, { key }) => this.clone(child, stepCall && key === "arguments"));
    delete result.leadingComments;
    delete result.trailingComments;
    delete result.innerComments;
    if (t.isObjectProperty(result) && result.shorthand) fixShorthand(result);
    this.keepTargetNaming(node, result);
    if (!isStepArgument && !this.hoisting && (t.isArrowFunctionExpression(result) || t.isFunctionExpression(result))) {
      return this.snapshotLoopBindings(result);
    }
    return result;
  }

  /**
   * `x = function () {}` with `x` renamed to `x_2`: the function is still named `x`. `(x) = function () {}`
   * names nothing, and the printer drops the parentheses: the function stays anonymous.
   */
  private keepTargetNaming(node: t.Node, copy: t.Node): void {
    const targetKey = namingSlot(node)?.[0];
    const target = targetKey && (node as unknown as Record<string, t.Node>)[targetKey];
    if (!t.isIdentifier(target)) return;
    if (target.extra?.parenthesized) return keepAnonymous(copy, targetKey!);
    const info = this.analysis.rename.get(target);
    if (info && info.name !== target.name) keepAssignedName(copy, targetKey!, target.name);
  }

  private isStepCallee(callee: t.Node): boolean {
    return t.isMemberExpression(callee) && t.isIdentifier(callee.object) && this.analysis.stepRefs.has(callee.object);
  }

  /**
   * Locals are hoisted out of loops, so a closure created in a lowered loop would see the
   * last iteration's value. Give it the per-iteration value, as block scoping would:
   * `((id) => () => use(id))(id)`. Step callbacks run at once and need no snapshot.
   */
  private snapshotLoopBindings(fn: t.ArrowFunctionExpression | t.FunctionExpression): t.Expression {
    if (this.perIteration.size === 0) return fn;
    const captured = new Set<string>();
    walk(fn.body, (n, slot) => {
      if (t.isIdentifier(n) && this.perIteration.has(n.name) && (!slot || isReference(slot.parent, slot.key))) captured.add(n.name);
    });
    if (captured.size === 0) return fn;
    const names = [...captured];
    return t.callExpression(
      t.arrowFunctionExpression(names.map((n) => t.identifier(n)), fn),
      names.map((n) => t.identifier(n)),
    );
  }

  isStepCall(node: t.Node): node is t.CallExpression {
    return t.isCallExpression(node) && t.isMemberExpression(node.callee) && this.stepNodes.has(node.callee.object);
  }

  hasPendingFinally(): boolean {
    return this.leaps.some((l) => l.kind === "finally");
  }

  /** Statements that jump to `state` (the target of `leap`), running the `finally`s in between. */
  routeJump(state: number, leap: Leap): t.Statement[] {
    const index = this.leaps.lastIndexOf(leap);
    const crossed = this.innermostFinally(index + 1);
    if (!crossed) return this.em.jumpStatements(state);
    crossed.jumps.set(state, leap);
    return [
      assign(crossed.completion, t.objectExpression([prop("type", t.stringLiteral("jump")), prop("target", this.em.stateLiteral(state))])),
      ...this.em.jumpStatements(crossed.finallyState),
    ];
  }

  /** Statements that return `value`, running pending `finally`s first. */
  routeReturn(value: t.Expression): t.Statement[] {
    const crossed = this.innermostFinally(0);
    if (!crossed) return [t.returnStatement(value)];
    crossed.returns = true;
    return [
      assign(crossed.completion, t.objectExpression([prop("type", t.stringLiteral("return")), prop("value", value)])),
      ...this.em.jumpStatements(crossed.finallyState),
    ];
  }

  private innermostFinally(from: number): Extract<Leap, { kind: "finally" }> | null {
    for (let i = this.leaps.length - 1; i >= from; i--) {
      const leap = this.leaps[i]!;
      if (leap.kind === "finally") return leap;
    }
    return null;
  }

  withLeap<T>(leap: Leap, body: () => T): T {
    this.leaps.push(leap);
    try {
      return body();
    } finally {
      this.leaps.pop();
    }
  }
}

export function assign(name: string | t.LVal, value: t.Expression): t.ExpressionStatement {
  return t.expressionStatement(t.assignmentExpression("=", typeof name === "string" ? t.identifier(name) : name, value));
}

/** `void 0`: `undefined` is an identifier a handler may bind. */
export const voidZero = (): t.Expression => t.unaryExpression("void", t.numericLiteral(0));

export function prop(key: string, value: t.Expression): t.ObjectProperty {
  return t.objectProperty(t.identifier(key), value);
}

/** After renaming, `{ a }` may have to become `{ a: a_2 }`. */
function fixShorthand(property: t.ObjectProperty): void {
  const value = t.isAssignmentPattern(property.value) ? property.value.left : property.value;
  if (!t.isIdentifier(property.key) || !t.isIdentifier(value) || value.name !== property.key.name) expandShorthand(property);
}
