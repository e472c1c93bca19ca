/**
 * Phase 3: turn one handler into the machine object of packages/runtime/src/machine.ts:
 * `{ durable, id, name, version, live, steps, async resume($, req) { … } }`.
 *
 * statements.ts / expressions.ts lower the body into the emitter's cases, resume.ts
 * assembles the method, locals.ts decides what is saved, metadata.ts describes it.
 */
import * as t from "@babel/types";
import { classInstanceLive, notRecreatable } from "../../diagnostics.js";
import type { EndpointSite } from "../1-find.js";
import type { Analysis } from "../2-analyze.js";
import { assignPattern } from "./expressions.js";
import { captureLocals } from "./locals.js";
import { Lowerer } from "./lowerer.js";
import { describeStates, handlerVersion, headerLines, machineObject, summarizeStates, type MachineHeader, type StateDescription } from "./metadata.js";
import { assembleResume } from "./resume.js";
import { patternNames } from "../../ast/references.js";
import { containsAwait } from "./scan.js";
import { lowerStatement } from "./statements.js";

export interface LoweredEndpoint extends MachineHeader {
  /** the whole machine object (for the Babel plugin) */
  machine: t.ObjectExpression;
  /** its header properties as compact source lines */
  header: string[];
  /** its `resume` method (printed by Babel, with the source map) */
  resume: t.ObjectMethod | t.ObjectProperty;
  /** the `case`s of its `switch ($.state)`, in state order, then `default` */
  cases: t.SwitchCase[];
  /** what each state does */
  stateDescriptions: StateDescription[];
  /** number of states (cases) in the machine */
  states: number;
  /** locals saved at some checkpoint */
  captured: string[];
}

export function lowerEndpoint(site: EndpointSite, analysis: Analysis, code: string, id: string): LoweredEndpoint {
  const handler = site.handler.node;
  const lw = new Lowerer(analysis, t.identifier(freshOutside(analysis, "$")), code);
  const request = lowerRequestParameter(lw, handler.params[0]);
  const body = t.isBlockStatement(handler.body) ? handler.body.body : [t.returnStatement(handler.body)];
  for (const statement of body) lowerStatement(lw, statement);
  if (!lw.em.terminated()) lw.em.emit(t.returnStatement());

  const assembled = assembleResume(lw, request);
  const { live: liveBefore, captured, recreate, notRecreated } = captureLocals(lw, assembled);
  for (const info of new Set(analysis.rename.values())) {
    if (!captured.includes(info.name)) continue;
    const { recreation } = info;
    const lowered = notRecreated.get(info.name);
    const reason = lowered ?? (!recreation ? "it is not declared by a `let`, `const` or `var` of its own" : recreation.recreatable ? null : recreation.reason);
    if (reason === null) continue;
    if (info.instanceOf) classInstanceLive(info.instanceOf.node, info.name, info.instanceOf.className, reason);
    else if (!lowered && recreation && !recreation.recreatable && recreation.at) notRecreatable(recreation.at, info.name, reason);
  }

  // states are numbered in the order their cases appear
  const renumber = lw.em.renumber();
  const live = new Map([...liveBefore].map(([state, names]) => [renumber.get(state)!, names]));
  const awaits = lw.awaits.map((a) => ({ ...a, state: renumber.get(a.state)! }));
  const stateDescriptions = describeStates(lw.em.cases, awaits, live, lw.ctx);
  const header: MachineHeader = { id, name: site.name, version: handlerVersion(handler), ...summarizeStates(stateDescriptions), recreate };
  const resume = analysis.lexicalThis ? arrowResume(assembled.resume) : assembled.resume;
  return {
    ...header,
    machine: machineObject(header, resume),
    header: headerLines(header),
    resume,
    cases: assembled.cases,
    stateDescriptions,
    states: lw.em.cases.length,
    captured,
  };
}

/**
 * The request is `resume`'s second parameter (the runtime restores it on resume). A
 * destructured one is unpacked again at the top of every `resume` call; a reassigned one
 * becomes a local set in state 0.
 */
function lowerRequestParameter(lw: Lowerer, param: t.Node | undefined): t.Identifier {
  const { analysis } = lw;
  const request = t.identifier(analysis.requestName ?? lw.fresh("req"));
  if (!param || analysis.requestName) return request;
  const target = t.isAssignmentPattern(param) ? param.left : param;
  const names = patternNames(target).map((id) => analysis.rename.get(id));
  if (!t.isIdentifier(target) && names.every((info) => info?.constant) && !containsAwait(target)) {
    lw.hoisted.push(t.variableDeclaration("const", [t.variableDeclarator(lw.rewriteHoisted(target as t.LVal), t.cloneNode(request))]));
  } else {
    for (const info of names) if (info) lw.declareVar(info.name);
    assignPattern(lw, param as t.LVal, t.cloneNode(request));
  }
  return request;
}

/** `$` (or `$2`, …): a name the handler does not use. */
function freshOutside(analysis: Analysis, base: string): string {
  const taken = new Set([...analysis.usedNames, ...[...analysis.rename.values()].map((b) => b.name)]);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  return name;
}

/** `resume: async ($, req) => { … }`: an arrow handler's `this` and `super` stay those of the code around it. */
function arrowResume(method: t.ObjectMethod): t.ObjectProperty {
  return t.objectProperty(method.key, t.arrowFunctionExpression(method.params as t.Identifier[], method.body, true));
}
