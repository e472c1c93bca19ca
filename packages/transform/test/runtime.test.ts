/**
 * Compiled handlers through the real runtime (@durable-endpoints/runtime, memory store):
 * same Response as the uncompiled handler, and a "process" killed in the middle of a
 * step (client.close()) is resumed by a fresh client at the saved state.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Inngest, type Store } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { afterAll, describe, expect, it } from "vitest";
import { transform } from "../src/index.js";

const dir = mkdtempSync(join(fileURLToPath(new URL(".", import.meta.url)), ".compiled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handler = (req: Request) => Promise<Response>;
interface Module {
  make(inngest: Inngest): Handler;
  log: string[];
  crash: { label: string; client: Inngest | null };
}

const moduleSource = (handler: string) => `
import { step, NonRetriableError, StepError } from "@durable-endpoints/runtime";
export const log: string[] = [];
export const crash: { label: string; client: any } = { label: "", client: null };
/** records what ran; "kills the process" (closes its client) when the label matches */
function probe(label: string) {
  log.push(label);
  if (label === crash.label) void crash.client?.close();
}
export function make(inngest: any) {
  return inngest.endpoint(${handler});
}
`;

let counter = 0;
async function load(handler: string): Promise<{ plain: Module; compiled: Module }> {
  const source = moduleSource(handler);
  const name = `m${++counter}`;
  const result = transform(source, { filename: join(dir, `${name}.ts`), root: dir });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(result.code).toContain("durable: 1");
  writeFileSync(join(dir, `${name}.plain.ts`), source);
  writeFileSync(join(dir, `${name}.ts`), result.code);
  return { plain: await import(join(dir, `${name}.plain.ts`)), compiled: await import(join(dir, `${name}.ts`)) };
}

const quiet = { info() {}, warn() {}, error() {} };
const client = (store: Store) => new Inngest({ id: "transform-tests", endpointAdapter, store, logger: quiet, leaseMs: 200, pollMs: 2000, backoff: { initial: 5, max: 5 } });

async function follow(handler: Handler, first: Response): Promise<Response> {
  let res = first;
  for (let i = 0; i < 200 && (res.status === 303 || res.status === 202); i++) {
    if (res.status === 202) await new Promise((r) => setTimeout(r, 20));
    res = await handler(new Request(new URL(res.headers.get("location")!, "http://localhost")));
  }
  return res;
}

async function run(module: Module, url: string): Promise<{ status: number; body: string }> {
  const inngest = client(memoryStore());
  try {
    const res = await follow(module.make(inngest), await module.make(inngest)(new Request(url)));
    return { status: res.status, body: await res.text() };
  } finally {
    await inngest.close();
  }
}

/** Crash inside the step that probes `label`, then resume with a fresh client on the same store. */
async function crashAndResume(module: Module, url: string, label: string) {
  const store = memoryStore();
  const a = client(store);
  module.crash.label = label;
  module.crash.client = a;
  const headers = { "idempotency-key": `key-${label}` };
  const first = await module.make(a)(new Request(url, { headers }));
  module.crash.label = "";
  await a.close();
  const b = client(store);
  try {
    const handler = module.make(b);
    const res = await follow(handler, first.status === 303 || first.status === 202 ? await handler(new Request(url, { headers })) : first);
    return { status: res.status, body: await res.text() };
  } finally {
    await b.close();
  }
}

/** [name, handler, url, probes of the first steps (a crash there restarts from the top: nothing was checkpointed)] */
const cases: [string, string, string, string[]][] = [
  [
    "loop of steps, sleep, caught NonRetriableError",
    `async (req: Request) => {
      probe("top");
      const ids = new URL(req.url).searchParams.getAll("id");
      let total = 0;
      for (const id of ids) {
        const item = await step.run(\`price-\${id}\`, () => { probe("price " + id); return { price: Number(id) }; });
        total += item.price;
      }
      await step.sleep("cool-down", "20ms");
      probe("after sleep");
      let failed = "";
      try {
        await step.run("charge", () => { probe("charge"); throw new NonRetriableError("declined"); });
      } catch (error) {
        failed = (error as Error).name + ": " + (error as Error).message;
      }
      return Response.json({ total, failed });
    }`,
    "http://localhost/api/prices?id=1&id=2&id=3",
    ["price 1"],
  ],
  [
    "finally with a step and a pending return; Promise.all; helper",
    `async (req: Request) => {
      probe("top");
      const twice = async (n: number) => (await step.run("twice", () => n * 2)) as number;
      const [a, b] = await Promise.all([step.run("a", () => { probe("a"); return 1; }), step.run("b", () => { probe("b"); return 2; })]);
      try {
        if (a + b === 3) return Response.json({ sum: await twice(a + b) });
      } finally {
        await step.run("audit", () => { probe("audit"); return true; });
        probe("finally done");
      }
      return new Response("unreachable");
    }`,
    "http://localhost/api/sum",
    ["a", "b"],
  ],
  [
    "a local named like a parameter of a nested function (issue #12 class 12)",
    `async (req: Request) => {
      probe("top");
      let i = 7;
      await step.sleep("z", "5ms");
      const got = await step.run("a", () => { probe("a"); return g(1); });
      return new Response(String(i) + got);
      function f(i: number) {}
      function g(i: number) { return i; }
    }`,
    "http://localhost/api/shadow",
    [],
  ],
  [
    "entering a state runs no getter of a saved local (issue #12 class 18)",
    `async (req: Request) => {
      probe("top");
      let n = 0;
      const first = await step.run("a", () => { probe("a"); return 1; });
      const o = { get p() { n++; return "p"; } };
      await null;
      await null;
      return Response.json({ first, n, p: o.p, after: n });
    }`,
    "http://localhost/api/getter",
    ["a"],
  ],
];

describe("compiled handlers on the real runtime", () => {
  it.each(cases)("%s: same Response as uncompiled; crash at every step resumes", async (_name, handler, url, first) => {
    const { plain, compiled } = await load(handler);
    const expected = await run(plain, url);
    expect(expected.status).toBe(200);
    expect(await run(compiled, url)).toEqual(expected);

    const stepProbes = compiled.log.filter((l) => !["top", "after sleep", "finally done"].includes(l));
    for (const label of new Set(stepProbes)) {
      compiled.log.length = 0;
      expect(await crashAndResume(compiled, url, label)).toEqual(expected);
      // the handler's entry code ran once: the fresh client resumed at the saved state
      // (a crash in the first steps may come before any checkpoint: then the run restarts from the top)
      const tops = compiled.log.filter((l) => l === "top").length;
      if (first.includes(label)) expect(tops).toBeLessThanOrEqual(2);
      else expect(tops).toBe(1);
    }
  });
});
