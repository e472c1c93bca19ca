/**
 * `for…of` / `for…in` whose body is lowered (it awaits, or jumps out of itself).
 *
 * for…of follows the iterator protocol exactly as the plain loop does (the iterator is
 * created when the loop starts, `next()` is called once per element, `return()` on
 * `break`/`return`/`throw`/a jump out of the loop). What a checkpoint saves is the
 * iterable and the number of elements taken (`count`), never the iterator: a resumed run
 * re-creates the iterator from the restored iterable and advances it past `count`
 * elements. An array (an iterable whose iterator is the Array iterator) is read by index
 * with its live length instead, which is that iterator's own semantics — so a resumed
 * array loop is exact. An iterable that cannot be saved (a generator, an iterator object)
 * fails the checkpoint with the runtime's error naming `<name>_iterable`.
 *
 * for…in takes the keys when the loop starts, as V8 does, and skips a key deleted since
 * (`key in object`); keys, index and object are saved.
 */
import { parse } from "@babel/parser";
import * as t from "@babel/types";
import { walk } from "../../ast/walk.js";
import { explodeValue } from "./expressions.js";
import type { Lowerer } from "./lowerer.js";

export function lowerForOf(lw: Lowerer, node: t.ForOfStatement, label: string | null, lower: (s: t.Statement) => void): void {
  const base = baseName(lw, node.left);
  const saved = (suffix: string) => lw.declareVar(lw.fresh(`${base}_${suffix}`));
  const plain = (suffix: string) => lw.declareUnsaved(lw.fresh(`${base}_${suffix}`));
  const names = {
    ITERABLE: saved("iterable"),
    COUNT: saved("count"),
    ITERATOR: plain("iterator"),
    METHOD: plain("method"),
    NEXT: plain("next"),
    RESULT: plain("result"),
    DONE: plain("done"),
    VALUE: plain("value"),
    ERROR: plain("error"),
    K: t.identifier(lw.fresh("k")),
  };
  lw.em.emitAssign(t.cloneNode(names.ITERABLE), explodeValue(lw, node.right));
  const [start, take, guard] = [
    `COUNT = 0; ITERATOR = void 0;`,
    // a resumed run (ITERATOR is not saved) re-creates the iterator and skips what was taken
    `if (ITERATOR === void 0) {
       METHOD = ITERABLE[Symbol.iterator];
       if (METHOD === [][Symbol.iterator]) ITERATOR = null;
       else { ITERATOR = METHOD.call(ITERABLE); NEXT = ITERATOR.next; for (let K = 0; K < COUNT; K++) NEXT.call(ITERATOR); }
     }
     DONE = true;
     if (ITERATOR === null) { if (COUNT < ITERABLE.length) { VALUE = ITERABLE[COUNT]; DONE = false; } }
     else { RESULT = NEXT.call(ITERATOR); if (!RESULT.done) { VALUE = RESULT.value; DONE = false; } }
     if (DONE) break;
     COUNT++;`,
    `try {} catch (ERROR) { if (!DONE && ITERATOR) { DONE = true; try { ITERATOR.return?.(); } catch {} } throw ERROR; }
     finally { if (!DONE && ITERATOR) ITERATOR.return?.(); }`,
  ].map((code) => template(code, names, headOf(node)));
  start.forEach(lower);
  const loop = t.forStatement(null, null, null, t.blockStatement([...take, assignLeft(node.left, names.VALUE), node.body]));
  loop.loc = node.loc;
  const closing = guard[0] as t.TryStatement;
  closing.block.body = [label ? t.labeledStatement(t.identifier(label), loop) : loop];
  for (const part of [closing.handler!, closing.finalizer!]) part.loc = headOf(node);
  lower(closing);
}

export function lowerForIn(lw: Lowerer, node: t.ForInStatement, label: string | null, lower: (s: t.Statement) => void): void {
  const base = baseName(lw, node.left);
  const names = {
    OBJECT: lw.declareVar(lw.fresh(`${base}_object`)),
    KEYS: lw.declareVar(lw.fresh(`${base}_keys`)),
    INDEX: lw.declareVar(lw.fresh(`${base}_index`)),
    KEY: lw.declareUnsaved(lw.fresh(`${base}_key`)),
    DONE: lw.declareUnsaved(lw.fresh(`${base}_done`)),
  };
  lw.em.emitAssign(t.cloneNode(names.OBJECT), explodeValue(lw, node.right));
  template(`KEYS = []; for (const KEY in OBJECT) KEYS.push(KEY); INDEX = 0;`, names, headOf(node)).forEach(lower);
  const take = template(
    `DONE = true;
     while (INDEX < KEYS.length) {
       KEY = KEYS[INDEX++];
       if ((typeof OBJECT !== "object" && typeof OBJECT !== "function") || KEY in OBJECT) { DONE = false; break; }
     }
     if (DONE) break;`,
    names,
    headOf(node),
  );
  const loop = t.forStatement(null, null, null, t.blockStatement([...take, assignLeft(node.left, names.KEY), node.body]));
  loop.loc = node.loc;
  lower(label ? t.labeledStatement(t.identifier(label), loop) : loop);
}

/** `const x = value;` / `x = value;` with the user's own left side (its nodes carry the analysis' renames). */
function assignLeft(left: t.ForOfStatement["left"], value: t.Identifier): t.Statement {
  if (t.isVariableDeclaration(left)) {
    return t.variableDeclaration(left.kind, [t.variableDeclarator(left.declarations[0]!.id, t.cloneNode(value))]);
  }
  return t.expressionStatement(t.assignmentExpression("=", left as t.LVal, t.cloneNode(value)));
}

/** The generated code stands for the loop's head: `for (const x of xs)`. */
function headOf(node: t.ForOfStatement | t.ForInStatement): t.SourceLocation | null {
  return node.loc && node.right.loc ? { ...node.loc, end: node.right.loc.end } : null;
}

function baseName(lw: Lowerer, left: t.ForOfStatement["left"]): string {
  const declared = t.isVariableDeclaration(left) ? left.declarations[0]!.id : left;
  return t.isIdentifier(declared) ? (lw.analysis.rename.get(declared)?.name ?? declared.name) : "entry";
}

/** Statements parsed from `code`, the upper-case names replaced by `names` (generated code: no positions). */
function template(code: string, names: Record<string, t.Identifier>, loc: t.SourceLocation | null | undefined): t.Statement[] {
  return parsedTemplate(code).map((s) => {
    const copy = t.cloneNode(s, true, true);
    walk(copy, (n) => {
      if (t.isIdentifier(n) && n.name in names) n.name = names[n.name]!.name;
    });
    copy.loc = loc ?? null;
    return copy;
  });
}

/** The few template texts are parsed once (re-parsing them was ~3% of a transform); callers get deep copies. */
const templates = new Map<string, t.Statement[]>();

function parsedTemplate(code: string): t.Statement[] {
  let statements = templates.get(code);
  if (!statements) {
    const loop = parse(`for (;;) {${code}}`).program.body[0] as t.ForStatement;
    statements = (loop.body as t.BlockStatement).body;
    templates.set(code, statements);
  }
  return statements;
}
