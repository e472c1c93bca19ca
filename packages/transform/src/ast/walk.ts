/**
 * The one tree walker of the compiler: every syntactic query over the handler and over the
 * generated `resume` goes through `forEachChild` / `walk`, and "does this subtree contain …"
 * questions are cached predicates (regenerator's meta.js `makePredicate`).
 */
import * as t from "@babel/types";

/** Where a node sits in its parent: `parent[key]`, or `parent[key][index]`. */
export interface Slot {
  parent: t.Node;
  key: string;
  index: number | null;
}

const isNode = (value: unknown): value is t.Node => typeof value === "object" && value !== null && "type" in value;

/** Calls `visit` on each child node, in source order (Babel's visitor keys). */
export function forEachChild(node: t.Node, visit: (child: t.Node, slot: Slot) => void): void {
  for (const key of t.VISITOR_KEYS[node.type] ?? []) {
    const child = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(child)) child.forEach((c, index) => isNode(c) && visit(c, { parent: node, key, index }));
    else if (isNode(child)) visit(child, { parent: node, key, index: null });
  }
}

export function children(node: t.Node): t.Node[] {
  const found: t.Node[] = [];
  forEachChild(node, (child) => found.push(child));
  return found;
}

/** Pre-order walk from `node` (included); `visit` returns false to skip a node's subtree. */
export function walk(node: t.Node, visit: (node: t.Node, slot: Slot | null) => boolean | void, slot: Slot | null = null): void {
  if (visit(node, slot) === false) return;
  forEachChild(node, (child, childSlot) => walk(child, visit, childSlot));
}

export function replaceAt({ parent, key, index }: Slot, node: t.Node): void {
  const record = parent as unknown as Record<string, unknown>;
  if (index === null) record[key] = node;
  else (record[key] as t.Node[])[index] = node;
}

/** A shallow copy of `node` whose children are `map(child)`. */
export function mapChildren(node: t.Node, map: (child: t.Node, slot: Slot) => t.Node): t.Node {
  const copy = { ...node } as unknown as Record<string, unknown>;
  for (const key of t.VISITOR_KEYS[node.type] ?? []) {
    const child = copy[key];
    if (Array.isArray(child)) copy[key] = child.map((c, index) => (isNode(c) ? map(c, { parent: node, key, index }) : c));
    else if (isNode(child)) copy[key] = map(child, { parent: node, key, index: null });
  }
  return copy as unknown as t.Node;
}

/** Nested functions and classes: their code does not run when the enclosing code does. */
export const isOpaque = (node: t.Node): boolean => t.isFunction(node) || t.isClass(node);

/**
 * `matches` for `node` or any node below it outside nested functions and classes (the root
 * itself is always looked into). One WeakMap per predicate: each subtree is examined once.
 */
export function makePredicate(matches: (node: t.Node) => boolean): (node: t.Node | null | undefined) => boolean {
  const cache = new WeakMap<t.Node, boolean>();
  const test = (node: t.Node | null | undefined): boolean => {
    if (!node) return false;
    let result = cache.get(node);
    if (result === undefined) {
      result = matches(node) || children(node).some((child) => !isOpaque(child) && test(child));
      cache.set(node, result);
    }
    return result;
  };
  return test;
}
