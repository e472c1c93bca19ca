/**
 * Which hoisted locals are live at each state: a backward dataflow over the cases
 * (fallthrough, jumps, and exception edges into catch/finally). A local is live at an
 * await's state when some path from that await reads it before writing it — those are
 * the locals a checkpoint in that state must save.
 */
import * as t from "@babel/types";
import { walk } from "../../ast/walk.js";
import type { Case, Emitter } from "./emitter.js";

export interface FunctionReads {
  /** identifier → the re-created function it names */
  functionRefs: Map<t.Node, string>;
  /** re-created function → the locals it may read when called */
  reads: Map<string, Set<string>>;
}

/** `checked` identifiers read their local's initialization even when they write it: never a definition. */
export function computeLiveness(em: Emitter, refs: WeakMap<t.Identifier, string>, functions: FunctionReads, checked: WeakSet<t.Identifier>): Map<number, Set<string>> {
  const liveIn = new Map<number, Set<string>>(em.cases.map((c) => [c.state, new Set<string>()]));
  const usesCache = new WeakMap<t.Node, Set<string>>();

  const uses = (node: t.Node, except?: Set<t.Node>): Set<string> => {
    const cached = except ? undefined : usesCache.get(node);
    if (cached) return cached;
    const found = new Set<string>();
    walk(node, (n) => {
      if (!t.isIdentifier(n) || except?.has(n)) return;
      const name = refs.get(n);
      if (name) found.add(name);
      const fn = functions.functionRefs.get(n);
      if (fn) functions.reads.get(fn)?.forEach((r) => found.add(r));
    });
    if (!except) usesCache.set(node, found);
    return found;
  };

  // what an assignment defines and reads does not change between the rounds of the fixpoint below
  const assignments = new WeakMap<t.AssignmentExpression, { defs: Set<string>; reads: Set<string> }>();
  const assignment = (expression: t.AssignmentExpression) => {
    let found = assignments.get(expression);
    if (!found) {
      const written = (Object.values(t.getBindingIdentifiers(expression.left as t.Node, false)).flat() as t.Identifier[]).filter((id) => !checked.has(id));
      const defs = new Set(written.map((id) => refs.get(id)).filter((n): n is string => !!n));
      found = { defs, reads: uses(expression, new Set(written)) };
      assignments.set(expression, found);
    }
    return found;
  };

  const transfer = (statement: t.Statement, after: Set<string>): Set<string> => {
    if (t.isContinueStatement(statement)) {
      const target = em.jumps.get(statement);
      return target ? new Set(liveIn.get(target.value)) : after;
    }
    if (t.isReturnStatement(statement) || t.isThrowStatement(statement)) return new Set(uses(statement));
    if (t.isIfStatement(statement) && em.branches.has(statement)) {
      const whenTrue = block(statement.consequent, after);
      const whenFalse = statement.alternate ? block(statement.alternate, after) : after;
      return union(uses(statement.test), whenTrue, whenFalse);
    }
    if (t.isExpressionStatement(statement) && t.isAssignmentExpression(statement.expression, { operator: "=" })) {
      const { defs, reads } = assignment(statement.expression);
      const live = [...defs].some((name) => after.has(name)) ? new Set([...after].filter((name) => !defs.has(name))) : after;
      return union(live, reads);
    }
    return union(after, uses(statement));
  };

  const block = (statement: t.Statement, after: Set<string>): Set<string> => sequence(t.isBlockStatement(statement) ? statement.body : [statement], after);

  const sequence = (body: readonly t.Statement[], after: Set<string>): Set<string> => {
    let live = after;
    for (let i = body.length - 1; i >= 0; i--) live = transfer(body[i]!, live);
    return live;
  };

  const caseLiveIn = (c: Case, next: Case | undefined): Set<string> => {
    const out = next && !em.terminated(c.body) ? liveIn.get(next.state)! : new Set<string>();
    let live = sequence(c.body, out);
    if (c.region) {
      // an exception anywhere in the case goes to the region's catch/finally
      const handler = new Set(liveIn.get(c.region.handlerState));
      if (c.region.stores) handler.delete(c.region.stores);
      live = union(live, handler);
    }
    return live;
  };

  for (let changed = true; changed; ) {
    changed = false;
    for (let i = em.cases.length - 1; i >= 0; i--) {
      const c = em.cases[i]!;
      const next = caseLiveIn(c, em.cases[i + 1]);
      if (next.size !== liveIn.get(c.state)!.size) {
        liveIn.set(c.state, next);
        changed = true;
      }
    }
  }
  return liveIn;
}

/** The live sets are never changed once made: a union that adds nothing to the first set is that set. */
function union(first: Set<string>, ...sets: Set<string>[]): Set<string> {
  if (sets.every((s) => s.size === 0 || (s.size <= first.size && [...s].every((v) => first.has(v))))) return first;
  const out = new Set(first);
  for (const s of sets) for (const v of s) out.add(v);
  return out;
}
