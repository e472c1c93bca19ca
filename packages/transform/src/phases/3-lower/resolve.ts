/**
 * Finds the identifiers in the assembled `resume` that name its own top-level bindings
 * (the hoisted locals and re-created functions), skipping those shadowed by a binding of
 * a nested function, block, catch clause or loop head. A small scope walk over the
 * generated tree: cheaper than building Babel scopes for code we just generated.
 */
import * as t from "@babel/types";

export interface Occurrence {
  node: t.Identifier;
  /** where the node sits, to replace it */
  parent: t.Node;
  key: string;
  index: number | null;
}

/** TS-only subtrees: no value bindings or references inside. */
const TYPE_KEYS = new Set(["typeAnnotation", "returnType", "typeParameters", "typeArguments", "superTypeParameters", "implements", "predicate"]);

export function findOccurrences(body: t.BlockStatement, names: ReadonlySet<string>): Occurrence[] {
  const found: Occurrence[] = [];
  const visit = (node: t.Node, parent: t.Node, key: string, index: number | null, shadowed: ReadonlySet<string>): void => {
    if (t.isIdentifier(node)) {
      if (names.has(node.name) && !shadowed.has(node.name) && isVariablePosition(parent, key)) found.push({ node, parent, key, index });
      return;
    }
    if (t.isTSType(node) || isTypeDeclaration(node)) return;
    const inner = declaredIn(node, shadowed);
    for (const childKey of t.VISITOR_KEYS[node.type] ?? []) {
      if (TYPE_KEYS.has(childKey)) continue;
      const child = (node as unknown as Record<string, unknown>)[childKey];
      if (Array.isArray(child)) {
        child.forEach((c, i) => c && typeof c === "object" && visitPart(c as t.Node, node, childKey, i, inner));
      } else if (child && typeof child === "object" && "type" in child) {
        visitPart(child as t.Node, node, childKey, null, inner);
      }
    }
  };
  /** declaration patterns bind names (already in `shadowed`); only their defaults and computed keys are read */
  const visitPart = (node: t.Node, parent: t.Node, key: string, index: number | null, shadowed: ReadonlySet<string>) => {
    if (isDeclarationSlot(parent, key)) visitPattern(node, shadowed);
    else visit(node, parent, key, index, shadowed);
  };
  const visitPattern = (node: t.Node, shadowed: ReadonlySet<string>): void => {
    if (t.isAssignmentPattern(node)) {
      visitPattern(node.left, shadowed);
      visit(node.right, node, "right", null, shadowed);
    } else if (t.isObjectPattern(node)) {
      for (const p of node.properties) {
        if (t.isRestElement(p)) visitPattern(p.argument, shadowed);
        else {
          if (p.computed) visit(p.key, p, "key", null, shadowed);
          visitPattern(p.value, shadowed);
        }
      }
    } else if (t.isArrayPattern(node)) {
      for (const e of node.elements) if (e) visitPattern(e, shadowed);
    } else if (t.isRestElement(node)) {
      visitPattern(node.argument, shadowed);
    } else if (t.isTSParameterProperty(node)) {
      visitPattern(node.parameter, shadowed);
    }
  };
  for (const [i, statement] of body.body.entries()) visit(statement, body, "body", i, new Set());
  return found;
}

/** Names a node binds for its own subtree, added to the ones already shadowed. */
function declaredIn(node: t.Node, shadowed: ReadonlySet<string>): ReadonlySet<string> {
  const names: string[] = [];
  const add = (pattern: t.Node | null | undefined) => pattern && names.push(...Object.keys(t.getBindingIdentifiers(pattern, false)));
  if (t.isFunction(node)) {
    node.params.forEach(add);
    if (t.isFunctionExpression(node) && node.id) add(node.id); // a function expression's name is visible only inside it
    collectVars(node.body, add);
  } else if (t.isClassExpression(node) && node.id) {
    add(node.id);
  } else if (t.isBlockStatement(node) || t.isProgram(node) || t.isStaticBlock(node)) {
    node.body.forEach((s) => lexicalDeclaration(s, add));
  } else if (t.isSwitchStatement(node)) {
    node.cases.forEach((c) => c.consequent.forEach((s) => lexicalDeclaration(s, add)));
  } else if (t.isForStatement(node) && t.isVariableDeclaration(node.init) && node.init.kind !== "var") {
    node.init.declarations.forEach((d) => add(d.id));
  } else if ((t.isForInStatement(node) || t.isForOfStatement(node)) && t.isVariableDeclaration(node.left) && node.left.kind !== "var") {
    node.left.declarations.forEach((d) => add(d.id));
  } else if (t.isCatchClause(node)) {
    add(node.param);
  }
  if (names.length === 0) return shadowed;
  return new Set([...shadowed, ...names]);
}

function lexicalDeclaration(statement: t.Statement, add: (pattern: t.Node) => void): void {
  if (t.isVariableDeclaration(statement) && statement.kind !== "var") statement.declarations.forEach((d) => add(d.id));
  if ((t.isFunctionDeclaration(statement) || t.isClassDeclaration(statement)) && statement.id) add(statement.id);
  if (t.isTSEnumDeclaration(statement)) add(statement.id);
}

/** `var`s anywhere in a function body (not in nested functions) belong to the function. */
function collectVars(node: t.Node, add: (pattern: t.Node) => void): void {
  if (t.isVariableDeclaration(node, { kind: "var" })) node.declarations.forEach((d) => add(d.id));
  for (const key of t.VISITOR_KEYS[node.type] ?? []) {
    const child = (node as unknown as Record<string, unknown>)[key];
    for (const c of Array.isArray(child) ? child : [child]) {
      if (c && typeof c === "object" && "type" in c && !t.isFunction(c as t.Node)) collectVars(c as t.Node, add);
    }
  }
}

/** Declaration slots: what sits there binds names instead of reading them. */
function isDeclarationSlot(parent: t.Node, key: string): boolean {
  return (
    (t.isVariableDeclarator(parent) && key === "id") ||
    (t.isFunction(parent) && (key === "params" || key === "id")) ||
    (t.isCatchClause(parent) && key === "param") ||
    ((t.isClassDeclaration(parent) || t.isClassExpression(parent)) && key === "id")
  );
}

function isVariablePosition(parent: t.Node, key: string): boolean {
  if ((t.isMemberExpression(parent) || t.isOptionalMemberExpression(parent)) && key === "property") return parent.computed;
  if ((t.isObjectProperty(parent) || t.isObjectMethod(parent) || t.isClassMethod(parent) || t.isClassProperty(parent) || t.isClassAccessorProperty(parent)) && key === "key") {
    return parent.computed;
  }
  if (t.isLabeledStatement(parent) || t.isBreakStatement(parent) || t.isContinueStatement(parent) || t.isMetaProperty(parent)) return false;
  if (t.isTSQualifiedName(parent) || t.isTSEnumMember(parent)) return false;
  return true;
}

function isTypeDeclaration(node: t.Node): boolean {
  return t.isTSTypeAliasDeclaration(node) || t.isTSInterfaceDeclaration(node) || t.isTSDeclareFunction(node) || t.isTSModuleDeclaration(node);
}
