/**
 * The fuzzer's program representation: a handler body as a tree of
 * statements (so the shrinker can delete and flatten them), printed to a
 * corpus-style module. Expressions are plain source strings.
 */

export type Stmt =
  | { k: "probe"; label: string }
  | { k: "assign"; target: string; op: "=" | "+="; expr: string }
  | { k: "if"; cond: string; then: Stmt[]; else?: Stmt[] }
  | { k: "loop"; form: "for" | "while" | "do" | "for-of"; counter: string; n: number; label?: string; body: Stmt[] }
  | { k: "switch"; disc: string; cases: Array<{ test: number | null; body: Stmt[]; brk: boolean }> }
  | { k: "try"; body: Stmt[]; handler?: Stmt[]; finalizer?: Stmt[] }
  | { k: "jump"; kind: "break" | "continue"; label?: string; cond: string }
  | { k: "return"; cond: string; tag: string }
  | { k: "throw"; cond: string; message: string }
  | { k: "sleep"; id: string }
  /** left behind by the shrinker when it flattens a loop whose counter the body reads */
  | { k: "decl"; name: string };

export interface Program {
  seed: number;
  vars: string[];
  body: Stmt[];
  /** value of the query parameter x */
  input: number;
  /** `{ v0 }` instead of `{ v0: v0 }` in the final Response */
  shorthand: boolean;
}

const pad = (depth: number) => "  ".repeat(depth);

/** Set while printing: whether Response fields use `{ v0 }` or `{ v0: v0 }`. */
let shorthand = false;
let vars: string[] = [];
const resultFields = (short: boolean) => vars.map((v) => (short ? v : `${v}: ${v}`)).join(", ");

function block(stmts: Stmt[], depth: number): string {
  return stmts.map((s) => printStmt(s, depth)).join("");
}

function printStmt(s: Stmt, d: number): string {
  const p = pad(d);
  switch (s.k) {
    case "probe":
      return `${p}probe("${s.label}");\n`;
    case "assign":
      return `${p}${s.target} ${s.op} ${s.expr};\n`;
    case "if":
      return `${p}if (${s.cond}) {\n${block(s.then, d + 1)}${p}}${s.else ? ` else {\n${block(s.else, d + 1)}${p}}` : ""}\n`;
    case "loop": {
      const label = s.label ? `${s.label}: ` : "";
      const c = s.counter;
      if (s.form === "for") return `${p}${label}for (let ${c} = 0; ${c} < ${s.n}; ${c}++) {\n${block(s.body, d + 1)}${p}}\n`;
      if (s.form === "for-of") {
        const values = Array.from({ length: s.n }, (_, i) => i);
        return `${p}${label}for (const ${c} of ${JSON.stringify(values)}) {\n${block(s.body, d + 1)}${p}}\n`;
      }
      // the counter moves first, so `continue` can never spin forever
      const head = `${p}let ${c} = 0;\n`;
      const bump = `${pad(d + 1)}${c}++;\n`;
      if (s.form === "while") return `${head}${p}${label}while (${c} < ${s.n}) {\n${bump}${block(s.body, d + 1)}${p}}\n`;
      return `${head}${p}${label}do {\n${bump}${block(s.body, d + 1)}${p}} while (${c} < ${s.n});\n`;
    }
    case "switch": {
      const cases = s.cases
        .map((c) => `${pad(d + 1)}${c.test === null ? "default" : `case ${c.test}`}: {\n${block(c.body, d + 2)}${c.brk ? `${pad(d + 2)}break;\n` : ""}${pad(d + 1)}}\n`)
        .join("");
      return `${p}switch (${s.disc}) {\n${cases}${p}}\n`;
    }
    case "try": {
      let out = `${p}try {\n${block(s.body, d + 1)}${p}}`;
      if (s.handler) out += ` catch (error) {\n${pad(d + 1)}v0 += String((error as Error).message).length;\n${block(s.handler, d + 1)}${p}}`;
      if (s.finalizer || !s.handler) out += ` finally {\n${block(s.finalizer ?? [], d + 1)}${p}}`;
      return out + "\n";
    }
    case "jump":
      return `${p}if (${s.cond}) ${s.kind}${s.label ? ` ${s.label}` : ""};\n`;
    case "return":
      return `${p}if (${s.cond}) return Response.json({ early: "${s.tag}", ${resultFields(shorthand)} });\n`;
    case "throw":
      return `${p}if (${s.cond}) throw new Error("${s.message}");\n`;
    case "sleep":
      return `${p}await step.sleep("${s.id}", "1ms");\n`;
    case "decl":
      return `${p}let ${s.name} = 0;\n`;
  }
}

/** Steps in a helper function: a resume re-runs the helper, its finished steps answer from the memo. */
const HELPER = `
async function twoSteps(id: string, x: number): Promise<number> {
  probe("~helper");
  const a = await step.run(\`\${id}-a\`, () => { probe(\`step:\${id}-a\`); return x % 97; });
  const b = await step.run(\`\${id}-b\`, () => { probe(\`step:\${id}-b\`); return (a * 3) % 97; });
  return a + b;
}
`;

/** The program as a corpus module (paths assume test/conformance/<dir>/<dir>/file.ts). */
export function printProgram(program: Program, header = ""): string {
  shorthand = program.shorthand;
  vars = program.vars;
  const [first, ...others] = program.vars;
  const body = block(program.body, 1);
  const used = (name: string) => body.includes(name);
  const runtime = ["Inngest", ...["NonRetriableError", "RetryAfterError"].filter(used), "step"];
  const probes = used("failsFirst(") ? "failsFirst, probe" : "probe";
  return `${header}import { ${runtime.join(", ")} } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { ${probes} } from "../../probe.js";
import type { Scenario } from "../../scenario.js";

const inngest = new Inngest({ id: "fuzz", endpointAdapter, retries: 2 });
${used("twoSteps(") ? HELPER : ""}
export const handler = inngest.endpoint(async (req: Request) => {
  let ${first} = Number(new URL(req.url).searchParams.get("x"));
  let ${others.map((v, i) => `${v} = ${i + 1}`).join(", ")};
${body}  probe("end");
  return Response.json({ ${resultFields(program.shorthand)} });
});

export const scenario: Scenario = { requests: [{ url: "/fuzz?x=${program.input}" }] };
`;
}
