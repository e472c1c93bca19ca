/**
 * Phase 3: turn one handler into the machine object of packages/runtime/src/machine.ts:
 * `{ durable, id, name, version, live, steps, async resume($, req) { … } }`.
 */
import type { NodePath } from "@babel/traverse";
import * as t from "@babel/types";
import { traverse } from "../../babel.js";
import { classInstanceLive, type DiagnosticSink } from "../../diagnostics.js";
import { fnv1a64 } from "../../hash.js";
import type { EndpointSite } from "../1-find.js";
import type { Analysis } from "../2-analyze.js";
import { assignPattern } from "./expressions.js";
import { computeLiveness } from "./liveness.js";
import { Lowerer } from "./lowerer.js";
import { containsAwait, patternNames } from "./scan.js";
import { lowerStatement } from "./statements.js";

/** Bump when the shape of the lowering changes: state numbers of old runs would not match. */
const LOWERING_FORMAT = "de-lowering-1";

export interface StepSummary {
  id: string | null;
  kind: "run" | "sleep" | "sleepUntil" | "waitForEvent" | "await";
  line: number;
  state: number;
}

export interface LoweredEndpoint {
  /** the whole machine object (for the Babel plugin) */
  machine: t.ObjectExpression;
  /** its header properties as compact source lines (`durable: 1`, …, one step per line) */
  header: string[];
  /** its `resume` method (printed by Babel, with the source map) */
  resume: t.ObjectMethod;
  id: string;
  name: string;
  version: string;
  steps: StepSummary[];
  /** number of states (cases) in the machine */
  states: number;
  /** locals saved at some checkpoint */
  captured: string[];
  live: Record<number, string[]>;
}

export function lowerEndpoint(site: EndpointSite, analysis: Analysis, sink: DiagnosticSink, code: string, id: string): LoweredEndpoint {
  const handler = site.handler.node;
  const ctx = t.identifier(freshOutside(analysis, "$"));
  const lw = new Lowerer(analysis, ctx, sink, code);
  const locals = t.identifier(lw.fresh("L"));

  // The request is `resume`'s second parameter (the runtime restores it on resume). A destructured one is
  // unpacked again at the top of every `resume` call; a reassigned one becomes a local set in state 0.
  const param = handler.params[0];
  const request = t.identifier(analysis.requestName ?? lw.fresh("req"));
  if (param && !analysis.requestName) {
    const target = t.isAssignmentPattern(param) ? param.left : param;
    const names = patternNames(target).map((id) => analysis.rename.get(id));
    if (!t.isIdentifier(target) && names.every((info) => info?.constant) && !containsAwait(target)) {
      lw.hoisted.push(t.variableDeclaration("const", [t.variableDeclarator(lw.rewriteHoisted(target as t.LVal), t.cloneNode(request))]));
    } else {
      for (const info of names) if (info) lw.declareVar(info.name);
      assignPattern(lw, param as t.LVal, t.cloneNode(request));
    }
  }

  const body = t.isBlockStatement(handler.body) ? handler.body.body : [t.returnStatement(handler.body)];
  for (const statement of body) lowerStatement(lw, statement);
  if (!lw.em.terminated()) lw.em.emit(t.returnStatement());

  const em = lw.em;
  const error = t.identifier(lw.fresh("error"));
  const dispatcher = buildDispatcher(lw, error);

  // Liveness runs on the assembled function so that Babel's scopes tell which identifiers are our locals.
  const declared = [...lw.vars];
  const resume = t.objectMethod("method", t.identifier("resume"), [t.cloneNode(ctx), request], t.blockStatement([]), false, false, true);
  const letDeclaration = declared.length ? t.variableDeclaration("let", declared.map((n) => t.variableDeclarator(t.identifier(n)))) : null;
  const loop = t.forStatement(null, null, null, t.blockStatement([]));
  resume.body.body = [...(letDeclaration ? [letDeclaration] : []), ...lw.hoisted, loop];
  const mainSwitch = t.switchStatement(t.memberExpression(t.cloneNode(ctx), t.identifier("state")), []);
  const cases = em.cases.map((c) => {
    const switchCase = t.switchCase(em.stateLiteral(c.state), c.body);
    if (c.comment) t.addComment(switchCase, "leading", ` ${c.comment}`, true);
    return switchCase;
  });
  mainSwitch.cases = [...cases, t.switchCase(null, [t.throwStatement(unknownState(ctx))])];
  loop.body = t.blockStatement(dispatcher ? [t.tryStatement(t.blockStatement([mainSwitch]), t.catchClause(error, t.blockStatement([dispatcher])))] : [mainSwitch]);

  const wrapper = t.file(t.program([t.expressionStatement(t.objectExpression([resume]))]));
  const refs = new WeakMap<t.Identifier, string>();
  const paths: NodePath<t.Identifier>[] = [];
  const ownNames = new Set(declared);
  const hoistedNames = new Set(lw.hoisted.flatMap((s) => Object.keys(t.getBindingIdentifiers(s, true))));
  // a call of a re-created function reads what that function reads
  const functionRefs = new Map<t.Node, string>();
  traverse(wrapper, {
    Identifier(path) {
      const name = path.node.name;
      if (!ownNames.has(name) && !hoistedNames.has(name)) return;
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

  const liveIn = computeLiveness(em, refs, functionReads(lw.hoisted, refs, functionRefs));
  const awaitStates = new Set(lw.awaits.map((a) => a.state));
  const order = declared;
  const liveOld = new Map([...liveIn].filter(([state]) => awaitStates.has(state)).map(([state, set]) => [state, order.filter((n) => set.has(n))]));
  const captured = order.filter((n) => [...liveOld.values()].some((names) => names.includes(n)));

  for (const info of new Set(analysis.rename.values())) {
    if (info.instanceOf && captured.includes(info.name)) sink.report(classInstanceLive(info.name, info.instanceOf.className), info.instanceOf.node);
  }

  // Captured locals are read and written through `L` (= $.locals).
  const capturedSet = new Set(captured);
  for (const path of paths) {
    if (!capturedSet.has(path.node.name)) continue;
    const member = t.memberExpression(t.cloneNode(locals), t.identifier(path.node.name));
    member.loc = path.node.loc;
    if (path.parentPath.isObjectProperty() && path.parentPath.node.shorthand) path.parentPath.node.shorthand = false;
    path.replaceWith(member);
  }
  if (letDeclaration) {
    letDeclaration.declarations = letDeclaration.declarations.filter((d) => !capturedSet.has((d.id as t.Identifier).name));
    if (letDeclaration.declarations.length === 0) resume.body.body.shift();
  }
  if (captured.length) {
    resume.body.body.unshift(t.variableDeclaration("const", [t.variableDeclarator(locals, t.memberExpression(t.cloneNode(ctx), t.identifier("locals")))]));
  }

  const renumber = em.renumber();
  const live: Record<number, string[]> = {};
  for (const [state, names] of liveOld) live[renumber.get(state)!] = names;
  const steps: StepSummary[] = lw.awaits
    .map((site) => ({ ...site, state: renumber.get(site.state)! }))
    .sort((a, b) => a.state - b.state)
    .flatMap((site): StepSummary[] =>
      site.steps.length
        ? site.steps.map((s) => ({ id: s.id, kind: s.kind, line: site.line, state: site.state }))
        : [{ id: null, kind: "await" as const, line: site.line, state: site.state }],
    );

  const version = fnv1a64(`${LOWERING_FORMAT}\n${normalize(handler)}`).slice(0, 12);
  const machine = t.objectExpression([
    prop("durable", t.numericLiteral(1)),
    prop("id", t.stringLiteral(id)),
    prop("name", t.stringLiteral(site.name)),
    prop("version", t.stringLiteral(version)),
    prop("live", t.objectExpression(Object.entries(live).map(([s, names]) => t.objectProperty(t.numericLiteral(Number(s)), t.arrayExpression(names.map((n) => t.stringLiteral(n))))))),
    prop("steps", t.valueToNode(steps.map(({ id: stepId, kind, line, state }) => ({ id: stepId, kind, line, state })))),
    resume,
  ]);
  const header = [
    "durable: 1",
    `id: ${JSON.stringify(id)}`,
    `name: ${JSON.stringify(site.name)}`,
    `version: ${JSON.stringify(version)}`,
    `live: { ${Object.entries(live).map(([s, names]) => `${s}: ${JSON.stringify(names).replace(/","/g, '", "')}`).join(", ")} }`,
    steps.length
      ? `steps: [\n${steps.map((s) => `  { id: ${JSON.stringify(s.id)}, kind: "${s.kind}", line: ${s.line}, state: ${s.state} },`).join("\n")}\n]`
      : "steps: []",
  ];
  return { machine, header, resume, id, name: site.name, version, steps, states: em.cases.length, captured, live };
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

function freshOutside(analysis: Analysis, base: string): string {
  const taken = new Set([...analysis.usedNames, ...[...analysis.rename.values()].map((b) => b.name)]);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  return name;
}

function prop(key: string, value: t.Expression | t.ObjectMethod): t.ObjectProperty {
  return t.objectProperty(t.identifier(key), value as t.Expression);
}

const POSITION_KEYS = new Set(["start", "end", "loc", "range", "extra", "leadingComments", "trailingComments", "innerComments", "comments"]);

/** The handler's AST without positions and comments: reformatting never changes the version. */
function normalize(node: t.Node): string {
  return JSON.stringify(node, (key, value) => (POSITION_KEYS.has(key) ? undefined : value));
}

