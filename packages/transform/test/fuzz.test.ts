/**
 * Generated handlers (random nesting of loops, branches, try/catch/finally, switch,
 * labelled jumps, awaits inside expressions): compiled vs plain, crashed after every
 * checkpoint and resumed (harness.ts). Deterministic seeds.
 */
import { afterAll, describe, expect, it } from "vitest";
import { expectEquivalent, load } from "./harness.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

function program(seed: number): string {
  const pick = rng(seed);
  let ids = 0;
  let loopVars = 0;
  const vars = ["a", "b", "c"];
  const v = () => vars[pick(vars.length)]!;
  const step = (expr: string) => `(await step.run("s${ids++}", () => ${expr}))`;
  const failing = () => `await step.run("f${ids++}", () => { throw new Error("e${ids}"); })`;
  const expr = (depth: number): string => {
    switch (pick(depth > 1 ? 3 : 7)) {
      case 0: return `${v()} + ${pick(5)}`;
      case 1: return `${pick(9)}`;
      case 2: return v();
      case 3: return `${v()} + ${step(`${v()} * 2`)}`;
      case 4: return `(${v()} > ${pick(6)} ? ${step(String(pick(9)))} : ${expr(depth + 1)})`;
      case 5: return `(${v()} % 2 === 0 && ${step(`${v()} + 1`)}) || ${expr(depth + 1)}`;
      default: return `(await Promise.all([${step(v())}, ${expr(depth + 1)}])).reduce((x, y) => x + y, 0)`;
    }
  };
  const block = (depth: number, inLoop: string | null): string => {
    const n = 1 + pick(3);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(statement(depth, inLoop));
    return out.join("\n");
  };
  const statement = (depth: number, inLoop: string | null): string => {
    const choice = depth > 2 ? pick(3) : pick(15);
    switch (choice) {
      case 0: case 1: return `${v()} = ${expr(0)}; probe("${v()}=" + ${v()});`;
      case 2: return `${v()} += ${step(`${pick(4)}`)};`;
      case 3: return `if (${v()} > ${pick(8)}) { ${block(depth + 1, inLoop)} } else { ${block(depth + 1, inLoop)} }`;
      case 4: {
        const i = `i${loopVars++}`;
        return `for (let ${i} = 0; ${i} < ${1 + pick(3)}; ${i}++) { ${v()} += ${i}; ${block(depth + 1, i)} }`;
      }
      case 5: {
        const x = `x${loopVars++}`;
        return `L${x}: for (const ${x} of [${pick(5)}, ${pick(5)}]) { ${block(depth + 1, `L${x}`)} if (${v()} > ${10 + pick(20)}) break L${x}; }`;
      }
      case 6: return `try { ${block(depth + 1, inLoop)} ${pick(2) ? failing() + ";" : ""} } catch (err) { ${v()} += err.message.length; ${block(depth + 1, inLoop)} }`;
      case 7: return `try { ${block(depth + 1, inLoop)} } finally { ${v()} += ${step("1")}; }`;
      case 8: return `switch (${v()} % 3) { case 0: ${v()} += ${step("5")}; case 1: ${v()}++; break; default: ${block(depth + 1, inLoop)} }`;
      case 9: return inLoop ? `if (${v()} % ${2 + pick(3)} === 0) ${pick(2) ? "continue" : "break"} ${inLoop.startsWith("L") ? inLoop : ""};` : `if (${v()} > ${40 + pick(40)}) return Response.json({ early: true, a, b, c });`;
      case 10: {
        const d = `d${loopVars++}`;
        return `let ${d} = 0; do { ${d}++; ${block(depth + 1, null)} } while (${d} < ${1 + pick(2)} && await ${step("true").slice(1, -1)});`;
      }
      case 11: {
        const k = `k${loopVars++}`;
        return `for (const ${k} in { p: 1, q: 2 }) { ${v()} += ${k}.length + ${step(`${k}.charCodeAt(0) % 7`)}; }`;
      }
      case 12: {
        const b = `B${loopVars++}`;
        return `${b}: { ${v()} += ${step("1")}; if (${v()} % 2) break ${b}; ${block(depth + 1, inLoop)} }`;
      }
      case 13: return `({ x: ${v()} = ${step(String(pick(9)))} } = { x: ${pick(2) ? "undefined" : pick(9)} });`;
      case 14: {
        const f = `f${loopVars++}`;
        return `const ${f} = async (n) => n + ${step("2")}; ${v()} += await ${f}(${v()});`;
      }
      default: {
        const w = `w${loopVars++}`;
        return `let ${w} = 0; while (${w} < ${1 + pick(2)}) { ${w}++; ${v()} += ${step(w)}; }`;
      }
    }
  };
  return `async (req) => {
    let a = 1, b = 2, c = 3;
    ${block(0, null)}
    return Response.json({ a, b, c });
  }`;
}

const endpoint = (handler: string) => `import { step } from "inngest";\nexport const handler = inngest.endpoint(${handler});\n`;

/** CI-sized by default; TRANSFORM_FUZZ_SEEDS=5000 for a longer local run */
const count = Number(process.env.TRANSFORM_FUZZ_SEEDS ?? 120);
const first = Number(process.env.TRANSFORM_FUZZ_FIRST ?? 1);
let total = 0;
describe("generated handlers", () => {
  afterAll(() => {
    // the generator must produce real work: on average several checkpoints per program
    expect(total / count).toBeGreaterThan(3);
  });
  const seeds = Array.from({ length: count }, (_, i) => i + first);
  it.each(seeds)("seed %i", async (seed) => {
    const source = endpoint(program(seed));
    const loaded = load(source);
    const { checkpoints } = await expectEquivalent(loaded, { scenario: { retries: 0 } });
    total += checkpoints;
    expect(loaded.compiled).toContain("durable: 1");
  });
});
