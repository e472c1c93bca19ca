/**
 * Delta debugging over statements: repeatedly try deleting a statement,
 * replacing a compound statement by its inner blocks, or shrinking inside a
 * nested block; keep any candidate that still fails the same way.
 */
import type { Program, Stmt } from "./program.js";

function children(s: Stmt): Stmt[][] {
  switch (s.k) {
    case "if":
      return s.else ? [s.then, s.else] : [s.then];
    case "loop":
      return [s.body];
    case "switch":
      return s.cases.map((c) => c.body);
    case "try":
      return [s.body, ...(s.handler ? [s.handler] : []), ...(s.finalizer ? [s.finalizer] : [])];
    default:
      return [];
  }
}

function withChildren(s: Stmt, blocks: Stmt[][]): Stmt {
  switch (s.k) {
    case "if":
      return { ...s, then: blocks[0]!, else: s.else ? blocks[1] : undefined };
    case "loop":
      return { ...s, body: blocks[0]! };
    case "switch":
      return { ...s, cases: s.cases.map((c, i) => ({ ...c, body: blocks[i]! })) };
    case "try": {
      let i = 1;
      return { ...s, body: blocks[0]!, handler: s.handler ? blocks[i++] : undefined, finalizer: s.finalizer ? blocks[i] : undefined };
    }
    default:
      return s;
  }
}

/** Smaller variants of a block, biggest cuts first. */
export function* smaller(body: Stmt[]): Generator<Stmt[]> {
  for (let size = Math.floor(body.length / 2); size >= 1; size = Math.floor(size / 2)) {
    for (let i = 0; i + size <= body.length; i += size) yield [...body.slice(0, i), ...body.slice(i + size)];
  }
  for (let i = 0; i < body.length; i++) {
    const stmt = body[i]!;
    const blocks = children(stmt);
    const keep: Stmt[] = stmt.k === "loop" ? [{ k: "decl", name: stmt.counter }] : [];
    for (const inner of blocks) yield [...body.slice(0, i), ...keep, ...inner, ...body.slice(i + 1)];
    for (let b = 0; b < blocks.length; b++) {
      for (const shrunk of smaller(blocks[b]!)) {
        const next = blocks.map((block, j) => (j === b ? shrunk : block));
        yield [...body.slice(0, i), withChildren(stmt, next), ...body.slice(i + 1)];
      }
    }
  }
}

export async function shrink(
  program: Program,
  stillFails: (candidate: Program) => Promise<boolean>,
  budget = { attempts: 250, ms: 90_000 },
): Promise<Program> {
  const deadline = Date.now() + budget.ms;
  let attempts = 0;
  let current = program;
  for (let progress = true; progress && attempts < budget.attempts && Date.now() < deadline; ) {
    progress = false;
    for (const body of smaller(current.body)) {
      if (++attempts > budget.attempts || Date.now() > deadline) break;
      const candidate = { ...current, body };
      if (await stillFails(candidate)) {
        current = candidate;
        progress = true;
        break;
      }
    }
  }
  return current;
}
