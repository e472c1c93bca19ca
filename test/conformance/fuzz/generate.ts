/**
 * Seeded random handlers: nested if / loops (for, while, do…while, for…of,
 * labels) / switch / try-catch-finally, steps in every expression position,
 * Promise.all, sleeps, early returns, thrown errors, and steps that fail
 * (retried to success, or for good). Same seed → same program.
 */
import type { Program, Stmt } from "./program.js";

/** mulberry32: small, fast, good enough for test generation. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VARS = ["v0", "v1", "v2", "v3"];
const MAX_STEPS = 7;
const MAX_DEPTH = 3;

interface Scope {
  depth: number;
  /** loop counters in scope (readable in expressions) */
  counters: string[];
  /** labels of enclosing loops, innermost last */
  labels: string[];
  inLoop: boolean;
  inSwitch: boolean;
}

class Generator {
  private n = 0;
  private steps = 0;
  constructor(private readonly random: () => number) {}

  private int(max: number): number {
    return Math.floor(this.random() * max);
  }
  private chance(p: number): boolean {
    return this.random() < p;
  }
  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  private next(prefix: string): string {
    return `${prefix}${++this.n}`;
  }

  private atom(scope: Scope): string {
    return this.chance(0.3) && scope.counters.length ? this.pick(scope.counters) : this.pick(VARS);
  }

  private cond(scope: Scope): string {
    return `(${this.atom(scope)} + ${this.atom(scope)}) % ${2 + this.int(3)} === ${this.int(2)}`;
  }

  private stepCall(scope: Scope): string {
    this.steps++;
    const id = this.next("s");
    const fail = this.random();
    const body =
      fail < 0.08
        ? `throw new NonRetriableError("${id} failed");`
        : `${fail < 0.2 ? `if (failsFirst("${id}", ${1 + this.int(2)})) throw new RetryAfterError("flaky ${id}", 1); ` : ""}return (${this.atom(scope)} * ${1 + this.int(5)} + ${this.int(10)}) % 97;`;
    return `step.run("${id}", () => { probe("step:${id}"); ${body} })`;
  }

  /** An expression holding one awaited step (or helper calling two) in a random position. */
  private stepExpr(scope: Scope): string {
    const s = this.chance(0.1) ? `(await twoSteps("${this.next("h")}", ${this.atom(scope)}))` : `(await ${this.stepCall(scope)})`;
    const a = this.atom(scope);
    switch (this.int(10)) {
      case 0:
        return s;
      case 1:
        return `${a} + ${s}`;
      case 2:
        return `${s} * 2 - ${a}`;
      case 3:
        return `${this.cond(scope)} ? ${s} : ${a}`;
      case 4:
        return `Number(${a} > 2 && ${s})`;
      case 5:
        return `(${a} % 2 === 0 ? null : ${a}) ?? ${s}`;
      case 6:
        return `Math.max(${a}, ${s})`;
      case 7:
        return `\`\${${a}}-\${${s}}\`.length`;
      case 8:
        return `({ a: ${a}, b: ${s} }).b`;
      default:
        return `[${a}, ${s}, 1].reduce((x, y) => x + y, 0)`;
    }
  }

  private plainExpr(scope: Scope): string {
    return `(${this.atom(scope)} + ${this.int(7)}) % 50`;
  }

  private stmt(scope: Scope): Stmt {
    const canNest = scope.depth < MAX_DEPTH;
    const canStep = this.steps < MAX_STEPS;
    const r = this.random();
    if (r < 0.16) return { k: "probe", label: this.next("p") };
    if (r < 0.36 && canStep) return { k: "assign", target: this.pick(VARS), op: this.chance(0.5) ? "=" : "+=", expr: this.stepExpr(scope) };
    if (r < 0.42) return { k: "assign", target: this.pick(VARS), op: "+=", expr: this.plainExpr(scope) };
    if (r < 0.5 && canNest) {
      const cond = canStep && this.chance(0.25) ? `(${this.stepExpr(scope)}) % 2 === 0` : this.cond(scope);
      return { k: "if", cond, then: this.stmts(scope), else: this.chance(0.5) ? this.stmts(scope) : undefined };
    }
    if (r < 0.6 && canNest) {
      const label = this.chance(0.4) ? this.next("L") : undefined;
      const counter = this.next("i");
      const inner: Scope = {
        ...scope,
        counters: [...scope.counters, counter],
        labels: label ? [...scope.labels, label] : scope.labels,
        inLoop: true,
      };
      return { k: "loop", form: this.pick(["for", "while", "do", "for-of"] as const), counter, n: 1 + this.int(3), label, body: this.stmts(inner) };
    }
    if (r < 0.66 && canNest) {
      const inner = { ...scope, inSwitch: true };
      const tests = [0, 1, null].slice(0, 2 + this.int(2));
      return {
        k: "switch",
        disc: `${this.atom(scope)} % 3`,
        cases: tests.map((test) => ({ test, body: this.stmts(inner), brk: this.chance(0.7) })),
      };
    }
    if (r < 0.74 && canNest) {
      const shape = this.int(3);
      return {
        k: "try",
        body: this.stmts(scope),
        handler: shape !== 1 ? this.stmts(scope) : undefined,
        finalizer: shape !== 0 ? this.stmts(scope) : undefined,
      };
    }
    if (r < 0.8 && canStep) {
      const calls = Array.from({ length: 2 + this.int(2) }, () => this.stepCall(scope));
      return { k: "assign", target: this.pick(VARS), op: "+=", expr: `(await Promise.all([${calls.join(", ")}])).reduce((x, y) => x + y, 0)` };
    }
    if (r < 0.86 && (scope.inLoop || scope.inSwitch)) {
      const kind = scope.inLoop && this.chance(0.5) ? "continue" : "break";
      const label = kind === "continue" || !scope.inSwitch ? (scope.labels.length && this.chance(0.5) ? this.pick(scope.labels) : undefined) : undefined;
      if (kind === "continue" && !scope.inLoop) return { k: "probe", label: this.next("p") };
      return { k: "jump", kind, label, cond: this.cond(scope) };
    }
    if (r < 0.9) return { k: "return", cond: this.cond(scope), tag: this.next("r") };
    if (r < 0.94) return { k: "throw", cond: this.cond(scope), message: this.next("boom") };
    if (r < 0.97 && canStep) return { k: "sleep", id: this.next("z") };
    return { k: "probe", label: this.next("p") };
  }

  stmts(scope: Scope): Stmt[] {
    const inner = { ...scope, depth: scope.depth + 1 };
    return Array.from({ length: 1 + this.int(scope.depth === 0 ? 6 : 3) }, () => this.stmt(inner));
  }
}

export function generate(seed: number): Program {
  const random = rng(seed);
  const generator = new Generator(random);
  const body = generator.stmts({ depth: -1, counters: [], labels: [], inLoop: false, inSwitch: false });
  return { seed, vars: VARS, body, input: Math.floor(random() * 10), shorthand: random() < 0.5 };
}
