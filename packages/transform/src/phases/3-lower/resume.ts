/** Assembles `async resume($, req) { … }` from the emitter's cases. */
import * as t from "@babel/types";
import { assign, type Lowerer, type Recreated } from "./lowerer.js";

export interface AssembledResume {
  resume: t.ObjectMethod;
  /** the cases of its `switch ($.state)`, in state order, then `default` */
  cases: t.SwitchCase[];
  /** `let a, b, …;` of every hoisted local (captured ones are removed later) */
  locals: t.VariableDeclaration | null;
  /** `if (<resumed where it is live>) C = class …;` per re-created class or local (the test is filled in, or the statement removed, by locals.ts) */
  recreations: (Recreated & { guard: t.IfStatement })[];
}

/**
 * ```
 * async resume($, req) {
 *   let …; <re-created functions>; <re-created classes and locals>
 *   for (;;) { try { switch ($.state) { case 0: … } } catch (error) { <dispatcher> } }
 * }
 * ```
 */
export function assembleResume(lw: Lowerer, request: t.Identifier): AssembledResume {
  const { em, ctx } = lw;
  const error = t.identifier(lw.fresh("error"));
  const dispatcher = buildDispatcher(lw, error);
  // `function f() {}` and `var f` declare one binding: the function declaration is it
  const functionNames = new Set(lw.hoisted.flatMap((s) => (t.isFunctionDeclaration(s) && s.id ? [s.id.name] : [])));
  const declared = [...lw.vars].filter((name) => !functionNames.has(name));
  const locals = declared.length ? t.variableDeclaration("let", declared.map((n) => t.variableDeclarator(t.identifier(n)))) : null;
  const cases = em.cases.map((c) => {
    const switchCase = t.switchCase(em.stateLiteral(c.state), c.body);
    if (c.comment) t.addComment(switchCase, "leading", ` ${c.comment}`, true);
    return switchCase;
  });
  const state = () => t.memberExpression(t.cloneNode(ctx), t.identifier("state"));
  const machine = t.switchStatement(state(), [...cases, t.switchCase(null, [t.throwStatement(unknownState(ctx))])]);
  const body = dispatcher ? t.tryStatement(t.blockStatement([machine]), t.catchClause(error, t.blockStatement([dispatcher]))) : machine;
  const loop = t.forStatement(null, null, null, t.blockStatement([body]));
  const recreations = lw.recreated.map((r) => ({ ...r, guard: t.ifStatement(t.booleanLiteral(false), assign(r.name, r.creation)) }));
  const statements = [...(locals ? [locals] : []), ...lw.hoisted, ...recreations.map((r) => r.guard), loop];
  const resume = t.objectMethod("method", t.identifier("resume"), [t.cloneNode(ctx), request], t.blockStatement(statements), false, false, true);
  return { resume, cases: machine.cases, locals, recreations };
}

/** `catch (error) { switch ($.state) { case 3: case 4: x = error; $.state = 7; continue; … } }` */
function buildDispatcher(lw: Lowerer, error: t.Identifier): t.SwitchStatement | null {
  const em = lw.em;
  const byRegion = new Map<NonNullable<(typeof em.cases)[number]["region"]>, number[]>();
  for (const c of em.cases) {
    if (!c.region) continue;
    byRegion.set(c.region, [...(byRegion.get(c.region) ?? []), c.state]);
  }
  if (byRegion.size === 0) return null;
  const cases: t.SwitchCase[] = [];
  for (const [region, states] of byRegion) {
    const store = region.store(t.cloneNode(error));
    const route = [...(store ? [store] : []), ...em.jumpStatements(region.handlerState)];
    states.forEach((state, i) => cases.push(t.switchCase(em.stateLiteral(state), i === states.length - 1 ? route : [])));
  }
  cases.push(t.switchCase(null, [t.throwStatement(t.cloneNode(error))]));
  return t.switchStatement(t.memberExpression(t.cloneNode(lw.ctx), t.identifier("state")), cases);
}

function unknownState(ctx: t.Identifier): t.Expression {
  return t.newExpression(t.identifier("Error"), [
    t.templateLiteral(
      [t.templateElement({ raw: "durable machine: unknown state " }), t.templateElement({ raw: "" }, true)],
      [t.memberExpression(t.cloneNode(ctx), t.identifier("state"))],
    ),
  ]);
}
