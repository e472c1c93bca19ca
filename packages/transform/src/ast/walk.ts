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
  // plain loops: this runs for every node of every walk, closures per array were a visible share of GC
  const keys = t.VISITOR_KEYS[node.type];
  if (!keys) return;
  const record = node as unknown as Record<string, unknown>;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const child = record[key];
    if (Array.isArray(child)) {
      for (let index = 0; index < child.length; index++) {
        const c: unknown = child[index];
        if (isNode(c)) visit(c, { parent: node, key, index });
      }
    } else if (isNode(child)) visit(child, { parent: node, key, index: null });
  }
}

/** Does `matches` hold for some child node? Stops at the first that does. */
export function someChild(node: t.Node, matches: (child: t.Node) => boolean): boolean {
  const keys = t.VISITOR_KEYS[node.type];
  if (!keys) return false;
  const record = node as unknown as Record<string, unknown>;
  for (let k = 0; k < keys.length; k++) {
    const child = record[keys[k]!];
    if (Array.isArray(child)) {
      for (let index = 0; index < child.length; index++) {
        const c: unknown = child[index];
        if (isNode(c) && matches(c)) return true;
      }
    } else if (isNode(child) && matches(child)) return true;
  }
  return false;
}

export function children(node: t.Node): t.Node[] {
  const found: t.Node[] = [];
  forEachChild(node, (child) => found.push(child));
  return found;
}

/** Pre-order walk from `node` (included); `visit` returns false to skip a node's subtree. */
export function walk(node: t.Node, visit: (node: t.Node, slot: Slot | null) => boolean | void, slot: Slot | null = null): void {
  const step = (child: t.Node, childSlot: Slot | null): void => {
    if (visit(child, childSlot) !== false) forEachChild(child, step);
  };
  step(node, slot);
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

const LEAVES: ReadonlySet<string> = new Set(["Identifier", "StringLiteral", "NumericLiteral", "BooleanLiteral", "NullLiteral", "BigIntLiteral", "RegExpLiteral", "ThisExpression", "Super", "TemplateElement"]);

/**
 * `matches` for `node` or any node below it outside nested functions and classes (the root
 * itself is always looked into). One WeakMap per predicate: each subtree is examined once.
 */
export function makePredicate(matches: (node: t.Node) => boolean): (node: t.Node | null | undefined) => boolean {
  const cache = new WeakMap<t.Node, boolean>();
  const inside = (child: t.Node): boolean => !isOpaque(child) && test(child);
  const test = (node: t.Node | null | undefined): boolean => {
    if (!node) return false;
    // a name or a literal is answered at once: caching every leaf was most of the predicates' time
    if (LEAVES.has(node.type)) return matches(node) || someChild(node, inside);
    let result = cache.get(node);
    if (result === undefined) {
      result = matches(node) || someChild(node, inside);
      cache.set(node, result);
    }
    return result;
  };
  return test;
}
