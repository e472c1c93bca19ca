/**
 * Finds the identifiers in the assembled `resume` that name its own top-level bindings
 * (the hoisted locals and re-created functions), skipping those shadowed by a binding of
 * a nested function, block, catch clause or loop head. A small scope walk over the
 * generated tree: cheaper than building Babel scopes for code we just generated.
 */
import * as t from "@babel/types";
import { isDeclarationSlot, isReference, isTypeOnly } from "../../ast/references.js";
import { forEachChild, walk, type Slot } from "../../ast/walk.js";

export interface Occurrence extends Slot {
  node: t.Identifier;
}

export function findOccurrences(body: t.BlockStatement, names: ReadonlySet<string>): Occurrence[] {
  const found: Occurrence[] = [];
  const visit = (node: t.Node, slot: Slot, shadowed: ReadonlySet<string>): void => {
    if (isTypeOnly(node, slot.key)) return;
    if (t.isIdentifier(node)) {
      if (names.has(node.name) && !shadowed.has(node.name) && isReference(slot.parent, slot.key)) found.push({ node, ...slot });
      return;
    }
    // the names bound for a key are the same for all its children (a block's statements, a switch's cases)
    let innerKey: string | null = null;
    let inner = shadowed;
    forEachChild(node, (child, childSlot) => {
      if (childSlot.key !== innerKey) {
        innerKey = childSlot.key;
        inner = declaredIn(node, innerKey, shadowed);
      }
      // declaration patterns bind names (already in `shadowed`); only their defaults and computed keys are read
      if (isDeclarationSlot(node, childSlot.key)) visitPattern(child, inner);
      else visit(child, childSlot, inner);
    });
  };
  const visitPattern = (node: t.Node, shadowed: ReadonlySet<string>): void => {
    if (t.isAssignmentPattern(node)) {
      visitPattern(node.left, shadowed);
      visit(node.right, { parent: node, key: "right", index: null }, shadowed);
    } else if (t.isObjectPattern(node)) {
      for (const p of node.properties) {
        if (t.isRestElement(p)) visitPattern(p.argument, shadowed);
        else {
          if (p.computed) visit(p.key, { parent: p, key: "key", index: null }, shadowed);
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
  body.body.forEach((statement, index) => visit(statement, { parent: body, key: "body", index }, new Set()));
  return found;
}

/** The node types `declaredIn` may find bindings in: every other node is passed by with one lookup. */
const SCOPES: ReadonlySet<string> = new Set([...t.FUNCTION_TYPES, "ClassExpression", "BlockStatement", "Program", "StaticBlock", "SwitchStatement", "ForStatement", "ForInStatement", "ForOfStatement", "CatchClause"]);

/** Names a node binds for its child at `key`, added to the ones already shadowed. */
function declaredIn(node: t.Node, key: string, shadowed: ReadonlySet<string>): ReadonlySet<string> {
  if (!SCOPES.has(node.type)) return shadowed;
  const names: string[] = [];
  const add = (pattern: t.Node | null | undefined) => pattern && names.push(...Object.keys(t.getBindingIdentifiers(pattern, false)));
  if (t.isFunction(node)) {
    node.params.forEach(add);
    if (t.isFunctionExpression(node) && node.id) add(node.id); // a function expression's name is visible only inside it
    if (key === "body") collectVars(node.body, add); // parameters do not see the body's declarations
  } else if (t.isClassExpression(node) && node.id) {
    add(node.id);
  } else if (t.isBlockStatement(node) || t.isProgram(node) || t.isStaticBlock(node)) {
    node.body.forEach((s) => lexicalDeclaration(s, add));
  } else if (t.isSwitchStatement(node) && key === "cases") {
    // the discriminant does not see the cases' declarations
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
  walk(node, (n) => {
    if (t.isVariableDeclaration(n, { kind: "var" })) n.declarations.forEach((d) => add(d.id));
    return n === node || !t.isFunction(n);
  });
}
