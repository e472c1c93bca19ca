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
import type { Binding, NodePath, Scope, Visitor } from "@babel/traverse";
import * as t from "@babel/types";
import { isReference } from "../ast/references.js";
import { isOpaque, walk } from "../ast/walk.js";
import * as diag from "../diagnostics.js";
import type { HandlerFunction } from "./1-find.js";
import { containsAwait } from "./3-lower/scan.js";

export interface BindingInfo {
  /** unique name in the compiled `resume` */
  name: string;
  kind: Binding["kind"];
  /** never reassigned after its declaration */
  constant: boolean;
  /**
   * a value other than a function declaration's is given to it: an assignment or a `var x = …` (a `var x;` or another
   * `function x` declaring it again gives none); what tells whether a function declaration can be re-created on resume
   */
  assigned: boolean;
  /** `const x = new C()` where C is a class of this module: provably not serializable */
  instanceOf: { className: string; node: t.Node } | null;
  /** a local made by a call (`const client = new Client(key)`): can it be re-created on resume? null: not made by a call */
  recreation: Recreation | null;
}

/**
 * A `let`/`const`/`var` initialized by a call (`new C(…)`, `f(…)`, a tagged template) is saved at a checkpoint when its
 * value can be serialized, and otherwise re-created on resume by evaluating its initializer again. That gives the
 * same value only when nothing the initializer depends on has changed since it ran: the binding is never
 * reassigned and never changed through a property write (`client.token = …`), the initializer does not await or
 * use `step`, and every local it uses (also through the handler's functions it calls) is never reassigned nor
 * changed through a property write. `at`: the property write that prevents it. (Where it is used before an await
 * is decided over the lowered cases: 3-lower/locals.ts `usesBeforeAwait`.)
 */
export type Recreation = { recreatable: true } | { recreatable: false; reason: string; at: t.Node | null };

export interface Analysis {
  /** original identifier node (declaration or reference) → info of the handler binding it names */
  rename: Map<t.Identifier, BindingInfo>;
  /** identifier nodes that reference the imported `step` */
  stepRefs: Set<t.Identifier>;
  /** the handler's request parameter, if it can become `resume`'s second parameter as is */
  requestName: string | null;
  /** reads of a handler-level `let`/`const` that always come before its declaration ran: they must throw */
  uninitializedReads: Set<t.Identifier>;
  /**
   * references to a handler-level `let`/`const`/`class` that may run before its declaration did (in a
   * closure created before it, in a switch case after the one declaring it, a write placed before it):
   * the generated code checks that the local is initialized there
   */
  uninitializedChecks: Set<t.Identifier>;
  /** unique names of the bindings that have such checks */
  checkedNames: Set<string>;
  /** assignments and `++`/`--` of a handler-level `const`: they must throw */
  constAssignments: Set<t.Node>;
  /** a handler-level `const` as a target of destructuring or of a for…of/for…in head: storing to it must throw */
  constTargets: Set<t.Identifier>;
  /** an arrow handler uses `this`, `super` or `new.target` of its enclosing code: `resume` must be an arrow too */
  lexicalThis: boolean;
  /** every identifier name that occurs in the handler (fresh names avoid them) */
  usedNames: Set<string>;
}

const STEP_KINDS = new Set(["run", "sleep", "sleepUntil", "waitForEvent"]);

/** What the one walk over the handler collects (names are given after it, in source order of the scopes). */
interface AnalysisState {
  handler: NodePath<HandlerFunction>;
  stepBindings: Set<Binding>;
  /** the handler's scope and its nested block scopes (not nested functions), in source order */
  scopes: Scope[];
  /** identifier nodes of those scopes' bindings: declarations, references, writes. (Babel resolves a
   * catch-clause pattern's identifiers in a detached scope, so they are matched by node, not by name.) */
  ownNodes: Map<t.Node, Binding>;
  /** identifier node → the handler binding it names */
  renamed: Map<t.Identifier, Binding>;
  usedNames: Set<string>;
  /** names that resolve outside the handler: a renamed local must not shadow them */
  freeNames: Set<string>;
  stepRefs: Set<t.Identifier>;
  lexicalThis: boolean;
  constAssignments: Set<t.Node>;
  constTargets: Set<t.Identifier>;
  uninitializedReads: Set<t.Identifier>;
  uninitializedChecks: Map<t.Identifier, Binding>;
  /** the handler's own awaits (not those of nested functions), in source order: what a write can come before */
  awaits: t.AwaitExpression[];
  /** writes through a global reference or the handler's top-level `this` (DE1016), decided once the awaits are known */
  globalWrites: { write: NodePath; what: string }[];
  /** expression statements of the handler that leave a promise's callbacks pending (DE1017 if an await follows) */
  floating: { statement: t.ExpressionStatement; what: string; loops: t.Node[] }[];
}

/**
 * Names a handler-level binding cannot keep (it is renamed, like a shadowing one): the globals the
 * generated `resume` reads itself (`new Error` for an unknown state, `Array.from`, `new TypeError` for
 * an assignment to a `const`, `new ReferenceError` for a read before a declaration, `Object.hasOwn` to
 * check one), which a local of that name would shadow; `__proto__`, which cannot be a key of the locals object (`L.__proto__`
 * is its prototype); and `async`, which the printer would write unescaped where it cannot stand
 * (`for (\u0061sync of …)`).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(["Error", "Array", "Object", "TypeError", "ReferenceError", "__proto__", "async"]);

/** One visitor table (Svelte's 2-analyze model): every question about the handler is answered in a single walk. */
const visitors: Visitor<AnalysisState> = {
  Scopable(path, state) {
    if (!path.isFunction() && isHandlerLevel(path.scope, state.handler.scope)) addScope(state, path.scope);
  },
  Identifier(path, state) {
    state.usedNames.add(path.node.name);
    if (!isReference(path.parent, (path.listKey ?? path.key) as string)) return;
    // Babel files a closure's read inside a catch clause's pattern under the outer binding: `lookup` corrects it
    const inCatchPattern = path.findParent((p) => p.isCatchClause() && !!p.node.param && within(path.node, p.node.param) && path.node !== state.ownNodes.get(path.node)?.identifier);
    const binding = (inCatchPattern ? ownBinding(path, state.handler.scope) : undefined) ?? state.ownNodes.get(path.node) ?? ownBinding(path, state.handler.scope);
    if (binding) {
      state.renamed.set(path.node, binding);
      if (isUninitializedRead(path, binding, state.handler)) state.uninitializedReads.add(path.node);
      else if (mayRunUninitialized(path, binding, state.handler)) state.uninitializedChecks.set(path.node, binding);
      return;
    }
    const outer = lookup(path);
    if (!outer || !isInside(outer.scope, state.handler.scope)) state.freeNames.add(path.node.name);
    if (!outer && !NOT_GLOBAL.has(path.node.name)) {
      // a global: `Array.prototype.x = 1`, `delete JSON.stringify`, `Object.defineProperty(globalThis, …)`, `g = 1`
      const write = writeThrough(path, true);
      const chain = write && chainText(path);
      if (write) state.globalWrites.push({ write, what: chain === path.node.name ? `the global \`${chain}\`` : `\`${chain}\`, reached from the global \`${path.node.name}\`` });
    }
    if (outer && state.stepBindings.has(outer)) {
      state.stepRefs.add(path.node);
      checkAwaitedStep(path, state.handler);
    } else if (path.node.name === "arguments" && !outer && functionParent(path) === state.handler.node) {
      diag.argumentsObject(path.node);
    }
  },
  WithStatement(path) {
    diag.withStatement(path.node);
  },
  ExpressionStatement(path, state) {
    if (functionParent(path) !== state.handler.node) return;
    const what = floatingPromise(path.get("expression"), state.stepBindings);
    if (!what) return;
    const loops: t.Node[] = [];
    for (let p: NodePath | null = path.parentPath; p && p.node !== state.handler.node; p = p.parentPath) if (p.isLoop()) loops.push(p.node);
    state.floating.push({ statement: path.node, what, loops });
  },
  AwaitExpression(path, state) {
    if (functionParent(path) === state.handler.node) state.awaits.push(path.node);
  },
  CallExpression(path) {
    const callee = path.node.callee;
    if (t.isIdentifier(callee, { name: "eval" }) && !path.scope.getBinding("eval")) diag.directEval(path.node);
  },
  ThisExpression(path, state) {
    if (!t.isArrowFunctionExpression(state.handler.node)) {
      if (functionParent(path) === state.handler.node) diag.thisInHandler(path.node);
    } else if (thisOwner(path, state.handler) === state.handler.node) {
      state.lexicalThis = true;
      const write = writeThrough(path);
      if (write) state.globalWrites.push({ write, what: `\`${chainText(path)}\` (an arrow handler's \`this\` is the module's: the global object in a script)` });
    }
  },
  Super(path, state) {
    if (t.isArrowFunctionExpression(state.handler.node) && thisOwner(path, state.handler) === state.handler.node) state.lexicalThis = true;
  },
  MetaProperty(path, state) {
    const newTarget = path.node.meta.name === "new" && path.node.property.name === "target";
    if (newTarget && t.isArrowFunctionExpression(state.handler.node) && thisOwner(path, state.handler) === state.handler.node) state.lexicalThis = true;
  },
  ForOfStatement(path, state) {
    if (path.node.await && functionParent(path) === state.handler.node) diag.forAwait(path.node);
  },
  YieldExpression(path, state) {
    if (functionParent(path) === state.handler.node) diag.generatorHandler(path.node);
  },
};

export function analyzeHandler(handler: NodePath<HandlerFunction>, stepBindings: Set<Binding>): Analysis {
  if (handler.node.generator) diag.generatorHandler(handler.node);
  const state: AnalysisState = {
    handler,
    stepBindings,
    scopes: [],
    ownNodes: new Map(),
    renamed: new Map(),
    usedNames: new Set(),
    freeNames: new Set(),
    stepRefs: new Set(),
    lexicalThis: false,
    constAssignments: new Set(),
    uninitializedReads: new Set(),
    uninitializedChecks: new Map(),
    constTargets: new Set(),
    awaits: [],
    globalWrites: [],
    floating: [],
  };
  addScope(state, handler.scope);
  handler.traverse(visitors, state);
  const awaitAfter = awaitAfterOf(state);
  for (const { write, what } of state.globalWrites) {
    const next = awaitAfter(write);
    if (next) diag.globalStateChanged(write.node, what, next.loc?.start.line ?? 0);
  }
  const checked = new Set<Binding>();
  for (const scope of state.scopes) for (const binding of Object.values(scope.bindings)) if (!checked.has(binding) && checked.add(binding)) checkRecreatedChanges(binding, awaitAfter);
  // DE1017: an await after the statement, or anywhere in a loop around it (its next iteration)
  for (const { statement, what, loops } of state.floating)
    if (state.awaits.some((a) => a.start! >= statement.end! || loops.some((loop) => within(a, loop)))) diag.lostPromiseJobs(statement.expression, what);

  // Unique names, in source order of the declaring scopes.
  const bindings = new Map<Binding, BindingInfo>();
  const renamedBinding = (node: t.Node) => state.renamed.get(node as t.Identifier);
  const taken = new Set<string>();
  const uniqueName = (name: string): string => {
    if (!taken.has(name) && !state.freeNames.has(name) && !RESERVED_NAMES.has(name)) return name;
    for (let i = 2; ; i++) {
      const candidate = `${name}_${i}`;
      if (!taken.has(candidate) && !state.usedNames.has(candidate)) return candidate;
    }
  };
  for (const scope of state.scopes) {
    for (const [name, binding] of Object.entries(scope.bindings)) {
      if (bindings.has(binding)) continue;
      const info: BindingInfo = {
        name: uniqueName(name),
        kind: binding.kind,
        constant: binding.constant,
        assigned: [binding.path, ...binding.constantViolations].some((p) => !(p.isVariableDeclarator() && !p.node.init) && !p.isFunctionDeclaration()),
        instanceOf: classInstance(binding),
        recreation: recreation(binding, renamedBinding, state.stepRefs),
      };
      taken.add(info.name);
      bindings.set(binding, info);
    }
  }
  const rename = new Map([...state.renamed].map(([node, binding]) => [node, bindings.get(binding)!]));

  const param = handler.node.params[0];
  let requestName: string | null = null;
  if (t.isIdentifier(param)) {
    const info = rename.get(param)!;
    if (info.constant) requestName = info.name;
    else diag.reassignedHandlerParameter(param);
  }
  return {
    rename,
    stepRefs: state.stepRefs,
    requestName,
    usedNames: state.usedNames,
    lexicalThis: state.lexicalThis,
    constAssignments: state.constAssignments,
    constTargets: state.constTargets,
    uninitializedReads: state.uninitializedReads,
    uninitializedChecks: new Set(state.uninitializedChecks.keys()),
    checkedNames: new Set([...state.uninitializedChecks.values()].map((binding) => bindings.get(binding)!.name)),
  };
}

function addScope(state: AnalysisState, scope: Scope): void {
  if (state.scopes.includes(scope)) return;
  state.scopes.push(scope);
  for (const binding of Object.values(scope.bindings)) {
    state.ownNodes.set(binding.identifier, binding);
    const own = (node: t.Node) => isVisibleAt(binding, node) && state.ownNodes.set(node, binding);
    for (const ref of binding.referencePaths) own(ref.node);
    for (const violation of binding.constantViolations) {
      const assigns = violation.isAssignmentExpression() ? violation.node.left : violation.isUpdateExpression() ? violation.node.argument : null;
      const whole = t.isIdentifier(assigns);
      if (binding.kind === "const" && whole && isVisibleAt(binding, assigns)) state.constAssignments.add(violation.node);
      for (const id of Object.values(violation.getBindingIdentifiers(true)).flat()) {
        if (id.name !== binding.identifier.name) continue;
        own(id);
        if (binding.kind === "const" && !whole && !violation.isUpdateExpression() && isVisibleAt(binding, id)) state.constTargets.add(id);
      }
      if (violation.isUpdateExpression()) own(violation.node.argument);
    }
  }
}

/**
 * Changes to a function or class of the handler that the machine re-creates when a run resumes (a function
 * declaration, a class, a function or class expression in a `const`): `counter.calls = 0`, `F.prototype = 1`,
 * `B.prototype.x = 42`, `Object.defineProperty(f, …)`, `Object.setPrototypeOf(C, null)` — lost after a checkpoint
 * taken after them (DE1014). A write with no await after it is never lost.
 */
function checkRecreatedChanges(binding: Binding, awaitAfter: (write: NodePath) => t.AwaitExpression | null): void {
  const declaration = binding.path;
  const init = declaration.isVariableDeclarator() && binding.kind === "const" ? declaration.node.init : null;
  const kind = declaration.isFunctionDeclaration()
    ? "function declaration"
    : declaration.isClassDeclaration() || t.isClassExpression(init)
      ? "class"
      : t.isFunctionExpression(init) || t.isArrowFunctionExpression(init)
        ? "function"
        : null;
  if (!kind) return;
  for (const write of propertyWrites(binding)) if (awaitAfter(write)) diag.functionPropertyLost(write.node, binding.identifier.name, kind);
}

/**
 * The first await of the handler that can run after `write` (a checkpoint there is taken after the change), or
 * null: an await that ends after it (one whose expression holds it counts: it suspends after the change), or any
 * await of a loop around it (the next iteration). A write in a nested function or class counts from where that is
 * created (a function declaration: the top of its block) — it may run whenever it is called after that.
 */
function awaitAfterOf(state: AnalysisState): (write: NodePath) => t.AwaitExpression | null {
  const handler = state.handler.node;
  return (write) => {
    let at = write.node.start!;
    const loops: t.Node[] = [];
    for (let p: NodePath | null = write; p && p.node !== handler; p = p.parentPath) {
      if (isOpaque(p.node)) {
        at = p.isFunctionDeclaration() ? p.parentPath!.node.start! : p.node.start!;
        loops.length = 0;
      } else if (t.isLoop(p.node) && containsAwait(p.node)) loops.push(p.node);
    }
    const next = state.awaits.find((a) => a.end! > at);
    const loop = loops.at(-1);
    return next ?? (loop ? (state.awaits.find((a) => a.start! >= loop.start! && a.end! <= loop.end!) ?? null) : null);
  };
}

/** Objects whose methods change their first argument: `Object.defineProperty(o, …)`, `Reflect.set(o, …)`. */
const MUTATORS: Readonly<Record<string, ReadonlySet<string>>> = {
  Object: new Set(["defineProperty", "defineProperties", "setPrototypeOf", "assign", "freeze", "seal", "preventExtensions"]),
  Reflect: new Set(["set", "defineProperty", "deleteProperty", "setPrototypeOf", "preventExtensions"]),
};

/**
 * Names bound nowhere in the module that are not the process's global state: CommonJS `module` and `exports` (the
 * module's own: `module.exports.x = …`), and `arguments` (a nested function's own object; in the handler, DE1004).
 */
const NOT_GLOBAL: ReadonlySet<string> = new Set(["module", "exports", "arguments"]);

/**
 * The writes to a property of the binding's value, however deep: `x.a = 1`, `x.a.b += 1`, `x[k]++`,
 * `delete x.a`, `[x.a] = list`, `for (x.a of list)`, `Object.defineProperty(x.a, …)`. (A method that changes
 * its object cannot be seen.)
 */
function propertyWrites(binding: Binding): NodePath[] {
  return binding.referencePaths.flatMap((ref) => writeThrough(ref) ?? []);
}

/**
 * The expression that changes what the reference at `ref` (a name or `this`) holds, through a property however
 * deep — an assignment, `++`/`--`, `delete`, a destructuring or for…of/for…in target, or a call of a global
 * `Object`/`Reflect` mutator with it as the first argument — or, with `itself`, the name itself (`g = 1`). Null
 * when it is only read.
 */
function writeThrough(ref: NodePath, itself = false): NodePath | null {
  const { outermost, members } = memberChain(ref);
  let target = outermost;
  const through = members.length > 0;
  let use = target.parentPath;
  // a destructuring target: up to the assignment or loop that stores into it
  while (use && (use.isArrayPattern() || use.isObjectPattern() || use.isRestElement() || (use.isAssignmentPattern() && use.node.left === target.node) || (use.isObjectProperty() && use.parentPath?.isObjectPattern()))) {
    target = use;
    use = use.parentPath;
  }
  if (!use) return null;
  if (use.isCallExpression()) return use.node.arguments[0] === target.node && isMutator(use) ? use : null;
  if (!through && !itself) return null;
  const stored = (use.isAssignmentExpression() || use.isForXStatement()) && use.node.left === target.node;
  return stored || use.isUpdateExpression() || use.isUnaryExpression({ operator: "delete" }) ? use : null;
}

/**
 * The member expressions read from the reference at `ref` (`ref.a[k].b`: the object of each is the one before),
 * through TypeScript's `as`, `!`, `satisfies` and parentheses; `outermost`: the last of them with the wrappers
 * around it (or `ref` with its own).
 */
function memberChain(ref: NodePath): { outermost: NodePath; members: (t.MemberExpression | t.OptionalMemberExpression)[] } {
  const members: (t.MemberExpression | t.OptionalMemberExpression)[] = [];
  let outermost = ref;
  for (let p = ref; p.parentPath; p = p.parentPath) {
    const parent = p.parentPath;
    if (parent.isTSAsExpression() || parent.isTSSatisfiesExpression() || parent.isTSNonNullExpression() || parent.isTSTypeAssertion() || parent.isParenthesizedExpression()) {
      outermost = parent;
      continue;
    }
    if (!((parent.isMemberExpression() || parent.isOptionalMemberExpression()) && p.key === "object")) break;
    members.push(parent.node);
    outermost = parent;
  }
  return { outermost, members };
}

/** `Object.defineProperty(…)` and the like, through the global `Object` / `Reflect`. */
function isMutator(call: NodePath<t.CallExpression>): boolean {
  const callee = call.node.callee;
  if (!t.isMemberExpression(callee) || callee.computed || !t.isIdentifier(callee.object) || !t.isIdentifier(callee.property)) return false;
  return !!MUTATORS[callee.object.name]?.has(callee.property.name) && !call.scope.getBinding(callee.object.name);
}

/** `Array.prototype[…]`, `this.x`: the reference a write changes, from the name or `this` at `ref`, for a message. */
function chainText(ref: NodePath): string {
  let text = t.isIdentifier(ref.node) ? ref.node.name : "this";
  for (const member of memberChain(ref).members) {
    const key = member.property;
    if (!member.computed && t.isIdentifier(key)) text += `.${key.name}`;
    else if (t.isStringLiteral(key) || t.isNumericLiteral(key)) text += `[${JSON.stringify(key.value)}]`;
    else text += "[…]";
  }
  return text;
}

/** See {@link Recreation}. `bindingOf`: the handler binding an identifier node names. */
function recreation(binding: Binding, bindingOf: (node: t.Node) => Binding | undefined, stepRefs: Set<t.Identifier>): Recreation | null {
  const declarator = binding.path;
  if (!declarator.isVariableDeclarator() || !t.isIdentifier(declarator.node.id) || !isCall(declarator.node.init)) return null;
  const init = declarator.node.init!;
  const not = (reason: string, at: t.Node | null = null): Recreation => ({ recreatable: false, reason, at });
  if (binding.kind !== "let" && binding.kind !== "const" && binding.kind !== "var") return null;
  if (!binding.constant) return not("it is reassigned");
  const changed = propertyWrites(binding)[0]?.node;
  if (changed) return not(`it is changed after it is created (line ${changed.loc?.start.line})`, changed);
  if (containsAwait(init)) return not("its initializer awaits");
  // what the initializer uses, and what the handler's functions and classes it uses use when called
  const seen = new Set<t.Node>();
  let problem: Recreation | null = null;
  const visit = (node: t.Node) => {
    if (seen.has(node)) return;
    seen.add(node);
    walk(node, (n) => {
      if (problem || !t.isIdentifier(n)) return;
      if (stepRefs.has(n)) problem = not("its initializer uses `step`");
      const used = bindingOf(n);
      if (!used || used === binding || problem) return;
      const write = propertyWrites(used)[0]?.node;
      if (!used.constant) problem = not(`its initializer uses \`${n.name}\`, which is reassigned`);
      else if (write) problem = not(`its initializer uses \`${n.name}\`, which is changed on line ${write.loc?.start.line}`, write);
      else if (used.kind === "var" && used.identifier.start! > init.start!) problem = not(`its initializer uses \`${n.name}\` before its \`var\` declaration`);
      else if (used.path.isFunctionDeclaration() || used.path.isClassDeclaration()) visit(used.path.node);
      else if (used.path.isVariableDeclarator() && (t.isFunction(used.path.node.init) || t.isClass(used.path.node.init))) visit(used.path.node.init);
    });
  };
  visit(init);
  return problem ?? { recreatable: true };
}

/** `new C(…)`, `f(…)`, `a?.b(…)`, a tagged template (through TypeScript's `as`, `!`, `satisfies`). */
function isCall(node: t.Node | null | undefined): boolean {
  while (t.isTSAsExpression(node) || t.isTSSatisfiesExpression(node) || t.isTSNonNullExpression(node) || t.isTSTypeAssertion(node)) node = node.expression;
  return t.isNewExpression(node) || t.isCallExpression(node) || t.isOptionalCallExpression(node) || t.isTaggedTemplateExpression(node);
}

function ownBinding(path: NodePath<t.Identifier>, handlerScope: Scope): Binding | undefined {
  const binding = lookup(path);
  return binding && isHandlerLevel(binding.scope, handlerScope) ? binding : undefined;
}

/**
 * Babel's lookup of the binding an identifier names, corrected where Babel's scopes differ from the
 * language's: a switch's discriminant does not see the declarations of its cases, a function's
 * parameters (default values) do not see the declarations of its body, and a closure in a catch
 * clause's pattern sees the clause's bindings (Babel's scope chain there skips the clause).
 */
function lookup(path: NodePath<t.Identifier>): Binding | undefined {
  const node = path.node;
  let binding = path.scope.getBinding(node.name);
  while (binding && !isVisibleAt(binding, node)) binding = binding.scope.parent?.getBinding(node.name);
  const clause = path.findParent((p) => p.isCatchClause() && !!p.node.param && within(node, p.node.param)) as NodePath<t.CatchClause> | null;
  const caught = clause?.scope.getOwnBinding(node.name);
  if (caught && !(binding && within(binding.scope.block, clause!.node.param!))) {
    // the pattern sees the clause's parameters, not the declarations of its body (Babel's clause scope holds both)
    return within(caught.identifier, clause!.node.param!) ? caught : clause!.scope.parent?.getBinding(node.name);
  }
  return binding;
}

function isVisibleAt(binding: Binding, node: t.Node): boolean {
  const block = binding.scope.block;
  if (t.isSwitchStatement(block)) return !within(node, block.discriminant);
  if (t.isFunction(block) && binding.kind !== "param" && binding.kind !== "local") return !block.params.some((param) => within(node, param));
  return true;
}

const within = (node: t.Node, outer: t.Node): boolean => node.start != null && outer.start != null && node.start >= outer.start && node.end! <= outer.end!;

/**
 * A read of a `let`/`const` in the handler's own code (not a closure) placed before the end of its
 * declaration: its scope was entered and the declaration has not run, every time (TDZ). A closure
 * created earlier may run before or after: not decided here (a documented difference).
 */
function isUninitializedRead(path: NodePath<t.Identifier>, binding: Binding, handler: NodePath<HandlerFunction>): boolean {
  if ((binding.kind !== "let" && binding.kind !== "const") || !binding.path.isVariableDeclarator()) return false;
  if (path.node === binding.identifier || !path.isReferencedIdentifier() || functionParent(path) !== handler.node) return false;
  if (path.parentPath.isUpdateExpression() || (path.parentPath.isAssignmentExpression() && path.key === "left")) return false;
  return path.node.start! < binding.path.node.end!;
}

/**
 * A reference to a `let`/`const`/`class` of the handler that may run while the binding is still
 * uninitialized, so a check must decide at run time (static analysis cannot): code of the handler placed
 * before the declaration that is not a plain read (those always throw: {@link isUninitializedRead}), a
 * switch case after the one declaring it (it may have been jumped to), and a closure created before the
 * declaration ran — a function declaration is created at the top of its block.
 */
function mayRunUninitialized(path: NodePath<t.Identifier>, binding: Binding, handler: NodePath<HandlerFunction>): boolean {
  const declaration = binding.path;
  if ((binding.kind !== "let" && binding.kind !== "const") || !(declaration.isVariableDeclarator() || declaration.isClassDeclaration())) return false;
  // inside a class its name is the class scope's own binding (kept by the class expression it becomes)
  if (path.node === binding.identifier || (declaration.isClassDeclaration() && within(path.node, declaration.node))) return false;
  let outermost: NodePath | null = null;
  for (let p: NodePath | null = path.parentPath; p && p.node !== handler.node; p = p.parentPath) if (p.isFunction() || p.isClass()) outermost = p;
  const created = !outermost ? path.node.start! : outermost.isFunctionDeclaration() ? outermost.parentPath!.node.start! : outermost.node.start!;
  if (created < declaration.node.end!) return true;
  const block = binding.scope.block;
  if (!t.isSwitchStatement(block)) return false;
  const caseOf = (node: t.Node) => block.cases.find((c) => within(node, c));
  return caseOf(outermost?.node ?? path.node) !== caseOf(declaration.node);
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

function isInside(scope: Scope, ancestor: Scope): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s === ancestor) return true;
  return false;
}

/** The handler's own scope or a block scope inside it (not inside a nested function). */
function isHandlerLevel(scope: Scope, handlerScope: Scope): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s === handlerScope) return true;
    // a class expression's own name is bound inside it: never hoisted or renamed (it is the class's name)
    if (s.path.isFunction() || s.path.isClassExpression()) return false;
  }
  return false;
}

/** Where a `this` or `super` gets its value: the nearest non-arrow function or class body, or the handler. */
function thisOwner(path: NodePath, handler: NodePath): t.Node | undefined {
  return path.findParent((p) => p === handler || (p.isFunction() && !p.isArrowFunctionExpression()) || p.isClassBody())?.node;
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

const PROMISE_METHODS = new Set(["then", "catch", "finally"]);

/**
 * What an expression statement leaves pending, described for DE1017, or null: a `.then(…)` / `.catch(…)` /
 * `.finally(…)` call (not on a step's promise: DE1012 reports that), or a call of an async function declared in the
 * handler or the module (or written in place). `void …` is the explicit "it may be lost": not reported.
 */
function floatingPromise(expression: NodePath<t.Expression>, stepBindings: Set<Binding>): string | null {
  const call = expression.node;
  if (!t.isCallExpression(call) && !t.isOptionalCallExpression(call)) return null;
  const callee = call.callee;
  if (t.isMemberExpression(callee) || t.isOptionalMemberExpression(callee)) {
    const name = !callee.computed && t.isIdentifier(callee.property) ? callee.property.name : t.isStringLiteral(callee.property) ? callee.property.value : null;
    if (name === null || !PROMISE_METHODS.has(name)) return null;
    // a chain on a step's promise: DE1012
    for (let o: t.Node = callee.object; ; ) {
      if ((t.isCallExpression(o) || t.isOptionalCallExpression(o)) && (t.isMemberExpression(o.callee) || t.isOptionalMemberExpression(o.callee))) {
        const root: t.Node = o.callee.object;
        if (t.isIdentifier(root)) {
          const binding = expression.scope.getBinding(root.name);
          if (binding && stepBindings.has(binding)) return null;
        }
        o = root;
      } else if (t.isMemberExpression(o) || t.isOptionalMemberExpression(o)) o = o.object;
      else if (t.isCallExpression(o) || t.isOptionalCallExpression(o)) o = o.callee;
      else break;
    }
    return `\`….${name}(…)\``;
  }
  if ((t.isFunctionExpression(callee) || t.isArrowFunctionExpression(callee)) && callee.async) return "An async function called in place";
  if (!t.isIdentifier(callee)) return null;
  const binding = expression.scope.getBinding(callee.name);
  const declared = binding?.path;
  const async =
    (declared?.isFunctionDeclaration() && declared.node.async) ||
    (binding?.constant && declared?.isVariableDeclarator() && (t.isFunctionExpression(declared.node.init) || t.isArrowFunctionExpression(declared.node.init)) && declared.node.init.async);
  return async ? `\`${callee.name}(…)\`, a call of an async function,` : null;
}

function isStepCall(call: t.CallExpression, ref: NodePath<t.Identifier>): boolean {
  return t.isMemberExpression(call.callee) && t.isIdentifier(call.callee.object, { name: ref.node.name });
}
