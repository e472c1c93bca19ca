/**
 * Phase 2: understand one handler before lowering it.
 *
 * - reports constructs that cannot be compiled (see diagnostics.ts);
 * - gives every binding of the handler (its own scope and nested blocks, not nested
 *   functions) a unique name, so block scopes and shadowing survive the hoisting of
 *   all locals to the top of `resume`;
 * - records which identifier nodes refer to the imported `step`.
 *
 * The AST is never mutated: phase 3 clones nodes through {@link Analysis.rename}.
 */
import type { Binding, NodePath, Scope } from "@babel/traverse";
import * as t from "@babel/types";
import * as diag from "../diagnostics.js";
import type { HandlerFunction } from "./1-find.js";

export interface BindingInfo {
  /** unique name in the compiled `resume` */
  name: string;
  kind: Binding["kind"];
  /** never reassigned after its declaration */
  constant: boolean;
  /** `const x = new C()` where C is a class of this module: provably not serializable */
  instanceOf: { className: string; node: t.Node } | null;
}

export interface Analysis {
  /** original identifier node (declaration or reference) → info of the handler binding it names */
  rename: Map<t.Identifier, BindingInfo>;
  /** identifier nodes that reference the imported `step` */
  stepRefs: Set<t.Identifier>;
  /** the handler's request parameter, if it can become `resume`'s second parameter as is */
  requestName: string | null;
  /** every identifier name that occurs in the handler (fresh names avoid them) */
  usedNames: Set<string>;
}

const STEP_KINDS = new Set(["run", "sleep", "sleepUntil", "waitForEvent"]);

export function analyzeHandler(handler: NodePath<HandlerFunction>, stepBindings: Set<Binding>): Analysis {
  const handlerScope = handler.scope;
  const usedNames = new Set<string>();
  const freeNames = new Set<string>();
  const bindings = new Map<Binding, BindingInfo>();
  const rename = new Map<t.Identifier, BindingInfo>();
  const stepRefs = new Set<t.Identifier>();

  if (handler.node.generator) diag.generatorHandler(handler.node);

  const ownBinding = (scope: Scope, name: string): Binding | undefined => {
    const binding = scope.getBinding(name);
    return binding && isHandlerLevel(binding.scope, handlerScope) ? binding : undefined;
  };

  // Pass 1: the handler's bindings (its scope and nested block scopes), in source order.
  const scopes: Scope[] = [handlerScope];
  handler.traverse({
    Scopable(path) {
      if (path.isFunction()) return path.skip();
      if (!scopes.includes(path.scope)) scopes.push(path.scope);
    },
  });
  // Identifier nodes of those bindings. (Babel resolves a catch-clause pattern's identifiers
  // in a detached scope, so bindings are also matched by node, not only by name lookup.)
  const ownNodes = new Map<t.Node, Binding>();
  for (const scope of scopes) {
    for (const binding of Object.values(scope.bindings)) {
      ownNodes.set(binding.identifier, binding);
      for (const ref of binding.referencePaths) ownNodes.set(ref.node, binding);
      for (const violation of binding.constantViolations) {
        for (const id of Object.values(violation.getBindingIdentifiers(true)).flat()) {
          if (id.name === binding.identifier.name) ownNodes.set(id, binding);
        }
        if (violation.isUpdateExpression()) ownNodes.set(violation.node.argument, binding);
      }
    }
  }

  // Pass 2: names in use, and names that resolve outside the handler (they must not be shadowed).
  handler.traverse({
    Identifier(path) {
      usedNames.add(path.node.name);
      if (!isBindingPosition(path) || ownNodes.has(path.node)) return;
      const binding = path.scope.getBinding(path.node.name);
      if (!binding || !isInside(binding.scope, handlerScope)) freeNames.add(path.node.name);
    },
  });

  // Unique names, in source order of the declaring scopes.
  const taken = new Set<string>();
  // `__proto__` cannot be a key of the locals object (`L.__proto__` is its prototype)
  const uniqueName = (name: string): string => {
    if (!taken.has(name) && !freeNames.has(name) && name !== "__proto__") return name;
    for (let i = 2; ; i++) {
      const candidate = `${name}_${i}`;
      if (!taken.has(candidate) && !usedNames.has(candidate)) return candidate;
    }
  };
  const declare = (scope: Scope) => {
    for (const [name, binding] of Object.entries(scope.bindings)) {
      if (bindings.has(binding)) continue;
      const info: BindingInfo = { name: uniqueName(name), kind: binding.kind, constant: binding.constant, instanceOf: classInstance(binding) };
      taken.add(info.name);
      bindings.set(binding, info);
    }
  };
  scopes.forEach(declare);

  // Pass 3: map identifier nodes to their binding's new name; collect step references; diagnostics.
  handler.traverse({
    Identifier(path) {
      if (!isBindingPosition(path)) return;
      const binding = ownNodes.get(path.node) ?? ownBinding(path.scope, path.node.name);
      if (binding) {
        rename.set(path.node, bindings.get(binding)!);
        return;
      }
      const outer = path.scope.getBinding(path.node.name);
      if (outer && stepBindings.has(outer)) {
        stepRefs.add(path.node);
        checkAwaitedStep(path, handler);
      } else if (path.node.name === "arguments" && !outer && functionParent(path) === handler.node) {
        diag.argumentsObject(path.node);
      }
    },
    WithStatement(path) {
      diag.withStatement(path.node);
    },
    CallExpression(path) {
      const callee = path.node.callee;
      if (t.isIdentifier(callee, { name: "eval" }) && !path.scope.getBinding("eval")) diag.directEval(path.node);
    },
    ThisExpression(path) {
      if (!t.isArrowFunctionExpression(handler.node) && functionParent(path) === handler.node) {
        diag.thisInHandler(path.node);
      }
    },
    ForOfStatement(path) {
      if (path.node.await && functionParent(path) === handler.node) diag.forAwait(path.node);
    },
    YieldExpression(path) {
      if (functionParent(path) === handler.node) diag.generatorHandler(path.node);
    },
  });

  const param = handler.node.params[0];
  let requestName: string | null = null;
  if (t.isIdentifier(param)) {
    const info = rename.get(param)!;
    if (info.constant) requestName = info.name;
    else diag.reassignedHandlerParameter(param);
  }
  return { rename, stepRefs, requestName, usedNames };
}

function classInstance(binding: Binding): BindingInfo["instanceOf"] {
  const declarator = binding.path;
  if (!declarator.isVariableDeclarator()) return null;
  const init = declarator.node.init;
  if (!t.isNewExpression(init) || !t.isIdentifier(init.callee)) return null;
  const target = declarator.scope.getBinding(init.callee.name)?.path;
  const isClass = target?.isClassDeclaration() || (target?.isVariableDeclarator() && t.isClassExpression(target.node.init));
  return isClass ? { className: init.callee.name, node: declarator.node } : null;
}

export function stepKindOf(name: string): "run" | "sleep" | "sleepUntil" | "waitForEvent" | null {
  return STEP_KINDS.has(name) ? (name as "run") : null;
}

/** Identifiers that name a variable (not property keys, member properties or labels). */
function isBindingPosition(path: NodePath<t.Identifier>): boolean {
  const parent = path.parent;
  const key = path.key;
  if ((t.isMemberExpression(parent) || t.isOptionalMemberExpression(parent)) && key === "property" && !parent.computed) return false;
  if ((t.isObjectProperty(parent) || t.isObjectMethod(parent) || t.isClassMethod(parent) || t.isClassProperty(parent)) && key === "key" && !parent.computed) return false;
  if (t.isLabeledStatement(parent) || t.isBreakStatement(parent) || t.isContinueStatement(parent)) return false;
  if (t.isMetaProperty(parent) || t.isTSQualifiedName(parent) || t.isTSPropertySignature(parent) || t.isTSTypeReference(parent)) return false;
  if (t.isTSEnumMember(parent) || t.isTSInterfaceDeclaration(parent) || t.isTSTypeAliasDeclaration(parent)) return false;
  if (t.isExportSpecifier(parent) || t.isImportSpecifier(parent)) return false;
  return true;
}

function isInside(scope: Scope, ancestor: Scope): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s === ancestor) return true;
  return false;
}

/** The handler's own scope or a block scope inside it (not inside a nested function). */
function isHandlerLevel(scope: Scope, handlerScope: Scope): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s === handlerScope) return true;
    if (s.path.isFunction()) return false;
  }
  return false;
}

function functionParent(path: NodePath): t.Node | undefined {
  return path.getFunctionParent()?.node;
}

/**
 * A step's promise must be awaited in the statement that calls it: otherwise the handler
 * goes on before the step is checkpointed (`ids.forEach(async (id) => { await step.run(…) })`),
 * or the pending promise ends up in a local that would have to be saved (`const p = step.run(…)`).
 */
function checkAwaitedStep(ref: NodePath<t.Identifier>, handler: NodePath<HandlerFunction>): void {
  const member = ref.parentPath;
  const call = member?.parentPath;
  if (!member?.isMemberExpression() || !call?.isCallExpression() || call.node.callee !== member.node) return;
  const name = t.isIdentifier(member.node.property) ? `step.${member.node.property.name}` : "step";
  let callback: NodePath | null = null;
  for (let p: NodePath | null = call.parentPath; p && p.node !== handler.node; p = p.parentPath) {
    if (p.isFunction()) callback = p;
  }
  if (!callback) {
    if (!isAwaited(call, handler, ref)) diag.unawaitedStep(call.node, name);
    return;
  }
  if (callback.isFunctionDeclaration() || callback.parentPath?.isVariableDeclarator()) return; // a helper, called elsewhere
  if (callback.isClassMethod() || callback.isObjectMethod()) return;
  if (!isAwaited(callback, handler, ref)) diag.unawaitedStepCallback(call.node, name);
}

/** Is the value of `path` awaited (or returned) within its statement of the handler? */
function isAwaited(path: NodePath, handler: NodePath<HandlerFunction>, ref: NodePath<t.Identifier>): boolean {
  for (let p: NodePath | null = path.parentPath; p && p.node !== handler.node; p = p.parentPath) {
    if (p.isAwaitExpression() || p.isReturnStatement()) return true;
    if (p.isCallExpression() && isStepCall(p.node, ref)) return true; // inside a step's own callback
    if (p.isStatement()) return false;
  }
  return !t.isBlockStatement(handler.node.body); // `async () => step.run(…)` returns it
}

function isStepCall(call: t.CallExpression, ref: NodePath<t.Identifier>): boolean {
  return t.isMemberExpression(call.callee) && t.isIdentifier(call.callee.object, { name: ref.node.name });
}
