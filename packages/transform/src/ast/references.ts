/**
 * What an identifier is, from where it sits: a variable (read, written or declared), or a
 * name that is no variable at all (a property key, a label, a type). The analysis and the
 * rewrite of the generated `resume` ask these same questions.
 */
import * as t from "@babel/types";

/** Does the identifier at `parent[key]` name a variable? (not a property key, member property, label or type name) */
export function isReference(parent: t.Node, key: string): boolean {
  if (t.isMemberExpression(parent) || t.isOptionalMemberExpression(parent)) return key !== "property" || !!parent.computed;
  if (t.isObjectProperty(parent) || t.isObjectMethod(parent) || t.isClassMethod(parent) || t.isClassPrivateMethod(parent) || t.isClassProperty(parent) || t.isClassAccessorProperty(parent)) {
    return key !== "key" || !!parent.computed;
  }
  if (t.isLabeledStatement(parent) || t.isBreakStatement(parent) || t.isContinueStatement(parent) || t.isMetaProperty(parent)) return false;
  if (t.isTSQualifiedName(parent) || t.isTSPropertySignature(parent) || t.isTSTypeReference(parent) || t.isTSEnumMember(parent)) return false;
  if (t.isTSInterfaceDeclaration(parent) || t.isTSTypeAliasDeclaration(parent)) return false;
  if (t.isExportSpecifier(parent) || t.isImportSpecifier(parent)) return false;
  return true;
}

/** Child keys that hold only TypeScript types (no value bindings or references inside). */
const TYPE_KEYS = new Set(["typeAnnotation", "returnType", "typeParameters", "typeArguments", "superTypeParameters", "implements", "predicate"]);

/** A subtree that exists only for the type checker: a type, or a declaration erased by compilation. */
export function isTypeOnly(node: t.Node, key?: string): boolean {
  if (key !== undefined && TYPE_KEYS.has(key)) return true;
  return t.isTSType(node) || t.isTSTypeAliasDeclaration(node) || t.isTSInterfaceDeclaration(node) || t.isTSDeclareFunction(node) || t.isTSModuleDeclaration(node);
}

/** Declaration slots: the pattern at `parent[key]` binds names instead of reading them. */
export function isDeclarationSlot(parent: t.Node, key: string): boolean {
  return (
    (t.isVariableDeclarator(parent) && key === "id") ||
    (t.isFunction(parent) && (key === "params" || key === "id")) ||
    (t.isCatchClause(parent) && key === "param") ||
    ((t.isClassDeclaration(parent) || t.isClassExpression(parent)) && key === "id")
  );
}

/** Identifier names bound by a declaration pattern. */
export function patternNames(pattern: t.Node): t.Identifier[] {
  return Object.values(t.getBindingIdentifiers(pattern, false)).flat();
}

/** The names a declaration binds in its enclosing scope (a function's name, not its parameters). */
export function declaredNames(declaration: t.Node): string[] {
  return Object.keys(t.getBindingIdentifiers(declaration, false, true));
}
