/**
 * The emitter builds the `switch ($.state)` body: a list of cases, each a run of
 * statements. Like regenerator's Emitter, control flow is expressed with marks
 * (a new case) and jumps (`$.state = N; continue;`). State numbers are allocated
 * on demand and renumbered in case order at the end, so the output reads top-down.
 */
import * as t from "@babel/types";

/** Where an exception raised in a case goes (the innermost enclosing lowered `try`). */
export interface TryRegion {
  parent: TryRegion | null;
  /** the case an exception jumps to (a `catch` block, or a `finally` with a pending throw) */
  handlerState: number;
  /** stores the exception where the handler expects it; null when the catch has no parameter */
  store(error: t.Identifier): t.Statement | null;
  /** the local that {@link store} assigns */
  stores: string | null;
}

export interface Case {
  state: number;
  body: t.Statement[];
  comment: string | null;
  region: TryRegion | null;
}

export class Emitter {
  readonly cases: Case[];
  region: TryRegion | null = null;
  /** every numeric literal that names a state, so they can be renumbered */
  private readonly stateRefs: t.NumericLiteral[] = [];
  /** `continue` statement → the state it jumps to (for liveness) */
  readonly jumps = new WeakMap<t.ContinueStatement, t.NumericLiteral>();
  /** generated `if`s that contain jumps (liveness looks inside them) */
  readonly branches = new WeakSet<t.IfStatement>();
  private nextState = 1;

  constructor(private readonly ctx: t.Identifier) {
    this.cases = [{ state: 0, body: [], comment: null, region: null }];
  }

  newState(): number {
    return this.nextState++;
  }

  stateLiteral(state: number): t.NumericLiteral {
    const literal = t.numericLiteral(state);
    this.stateRefs.push(literal);
    return literal;
  }

  setState(state: number): t.ExpressionStatement {
    return t.expressionStatement(t.assignmentExpression("=", t.memberExpression(this.ctx, t.identifier("state")), this.stateLiteral(state)));
  }

  emit(statement: t.Statement): void {
    if (this.terminated()) return; // unreachable until the next mark
    this.current.body.push(statement);
  }

  emitAssign(target: t.LVal | string, value: t.Expression): void {
    this.emit(t.expressionStatement(t.assignmentExpression("=", typeof target === "string" ? t.identifier(target) : target, value)));
  }

  get current(): Case {
    return this.cases[this.cases.length - 1]!;
  }

  /** Start case `state`. Falling into it assigns `$.state` (the runtime tracks every resume point). */
  mark(state: number, comment: string | null = null): void {
    if (!this.terminated()) this.emit(this.setState(state));
    this.cases.push({ state, body: [], comment, region: this.region });
  }

  jumpStatements(state: number): t.Statement[] {
    const jump = t.continueStatement();
    this.jumps.set(jump, this.stateLiteral(state));
    return [this.setState(state), jump];
  }

  jump(state: number): void {
    for (const s of this.jumpStatements(state)) this.emit(s);
  }

  /** `if (test) { <then> }` where `then` may jump. */
  branch(test: t.Expression, then: t.Statement[], otherwise?: t.Statement[]): t.IfStatement {
    const node = t.ifStatement(test, t.blockStatement(then), otherwise ? t.blockStatement(otherwise) : null);
    this.branches.add(node);
    this.emit(node);
    return node;
  }

  jumpIf(test: t.Expression, state: number): void {
    this.branch(test, this.jumpStatements(state));
  }

  jumpUnless(test: t.Expression, state: number): void {
    this.jumpIf(negate(test), state);
  }

  terminated(body: t.Statement[] = this.current.body): boolean {
    const last = body[body.length - 1];
    return t.isContinueStatement(last) || t.isReturnStatement(last) || t.isThrowStatement(last);
  }

  /** Renumber states in the order their cases appear; returns old → new. */
  renumber(): Map<number, number> {
    const order = new Map<number, number>();
    this.cases.forEach((c, i) => order.set(c.state, i));
    for (const literal of this.stateRefs) literal.value = order.get(literal.value) ?? literal.value;
    for (const c of this.cases) c.state = order.get(c.state)!;
    return order;
  }
}

export function negate(test: t.Expression): t.Expression {
  if (t.isUnaryExpression(test, { operator: "!" })) return test.argument;
  return t.unaryExpression("!", test);
}
