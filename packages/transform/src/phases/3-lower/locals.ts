/**
 * Which hoisted locals are captured (live at some await) and the rewrite of those to
 * `L.name` (`L` = `$.locals`). Babel's scopes on the assembled `resume` tell which
 * identifiers are our locals and which belong to nested functions that shadow them.
 */
import type { NodePath } from "@babel/traverse";
import * as t from "@babel/types";
import { traverse } from "../../babel.js";
import type { AssembledResume } from "./resume.js";
import { computeLiveness } from "./liveness.js";
import type { Lowerer } from "./lowerer.js";

export interface CapturedLocals {
  /** per await state (before renumbering): the locals a checkpoint there must save */
  live: Map<number, string[]>;
  /** every local saved at some checkpoint, in declaration order */
  captured: string[];
}

export function captureLocals(lw: Lowerer, { resume, locals }: AssembledResume, localsObject: t.Identifier): CapturedLocals {
  const declared = [...lw.vars];
  const own = new Set(declared);
  const hoistedNames = new Set(lw.hoisted.flatMap((s) => Object.keys(t.getBindingIdentifiers(s, true))));
  const refs = new WeakMap<t.Identifier, string>();
  const paths: NodePath<t.Identifier>[] = [];
  // a call of a re-created function reads what that function reads
  const functionRefs = new Map<t.Node, string>();
  traverse(t.file(t.program([t.expressionStatement(t.objectExpression([resume]))])), {
    Identifier(path) {
      const name = path.node.name;
      if (!own.has(name) && !hoistedNames.has(name)) return;
      if (!path.isReferencedIdentifier() && !isWriteTarget(path)) return;
      const binding = path.scope.getBinding(name);
      if (!binding || binding.scope.path.node !== resume) return;
      if (hoistedNames.has(name)) {
        functionRefs.set(path.node, name);
        return;
      }
      refs.set(path.node, name);
      paths.push(path);
    },
  });

  const liveIn = computeLiveness(lw.em, refs, functionReads(lw.hoisted, refs, functionRefs));
  const live = new Map(lw.awaits.map((a) => [a.state, declared.filter((n) => liveIn.get(a.state)!.has(n))]));
  const captured = declared.filter((n) => [...live.values()].some((names) => names.includes(n)));

  const capturedSet = new Set(captured);
  for (const path of paths) {
    if (!capturedSet.has(path.node.name)) continue;
    const member = t.memberExpression(t.cloneNode(localsObject), t.identifier(path.node.name));
    member.loc = path.node.loc;
    if (path.parentPath.isObjectProperty() && path.parentPath.node.shorthand) path.parentPath.node.shorthand = false;
    path.replaceWith(member);
  }
  if (locals) {
    locals.declarations = locals.declarations.filter((d) => !capturedSet.has((d.id as t.Identifier).name));
    if (locals.declarations.length === 0) resume.body.body.shift();
  }
  if (captured.length) {
    const fromContext = t.memberExpression(t.cloneNode(lw.ctx), t.identifier("locals"));
    resume.body.body.unshift(t.variableDeclaration("const", [t.variableDeclarator(localsObject, fromContext)]));
  }
  return { live, captured };
}

/** For each re-created function: the locals it (and the functions it calls) may read. */
function functionReads(hoisted: t.Statement[], refs: WeakMap<t.Identifier, string>, functionRefs: Map<t.Node, string>) {
  const direct = new Map<string, { reads: Set<string>; calls: Set<string> }>();
  for (const declaration of hoisted) {
    const reads = new Set<string>();
    const calls = new Set<string>();
    const visit = (n: t.Node) => {
      if (t.isIdentifier(n)) {
        const name = refs.get(n);
        if (name) reads.add(name);
        const fn = functionRefs.get(n);
        if (fn) calls.add(fn);
      }
      for (const key of t.VISITOR_KEYS[n.type] ?? []) {
        const child = (n as unknown as Record<string, unknown>)[key];
        for (const c of Array.isArray(child) ? child : [child]) if (c && typeof c === "object" && "type" in c) visit(c as t.Node);
      }
    };
    visit(declaration);
    for (const name of Object.keys(t.getBindingIdentifiers(declaration, true))) direct.set(name, { reads, calls });
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

function isWriteTarget(path: NodePath<t.Identifier>): boolean {
  const parent = path.parentPath;
  if (parent?.isAssignmentExpression() && path.key === "left") return true;
  if (parent?.isUpdateExpression()) return true;
  // inside a destructuring assignment target
  const inPattern = (parent?.isObjectProperty() && path.key === "value") || parent?.isArrayPattern() || (parent?.isAssignmentPattern() && path.key === "left") || parent?.isRestElement();
  return !!inPattern && !!path.findParent((p) => p.isAssignmentExpression());
}
