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
import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transform, type Diagnostic } from "../src/index.js";

const dir = mkdtempSync(join(fileURLToPath(new URL(".", import.meta.url)), ".compiled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handler = (req: Request) => Promise<Response>;
interface Module {
  make(inngest: Inngest): Handler;
  log: string[];
  crash: { label: string; client: Inngest | null };
}

const moduleSource = (handler: string, prelude = "") => `
import { step, NonRetriableError, StepError } from "@durable-endpoints/runtime";
${prelude}
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
async function load<M extends Module = Module>(handler: string, prelude = ""): Promise<{ plain: M; compiled: M; diagnostics: Diagnostic[] }> {
  const source = moduleSource(handler, prelude);
  const name = `m${++counter}`;
  const result = transform(source, { filename: join(dir, `${name}.ts`), root: dir });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(result.code).toContain("durable: 1");
  writeFileSync(join(dir, `${name}.plain.ts`), source);
  writeFileSync(join(dir, `${name}.ts`), result.code);
  return { plain: await import(join(dir, `${name}.plain.ts`)), compiled: await import(join(dir, `${name}.ts`)), diagnostics: result.diagnostics };
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

/**
 * Crash inside the step that probes `label`, then resume with a fresh client on the same store (`between`: what
 * happens in between, e.g. what a new process would not have).
 */
async function crashAndResume(module: Module, url: string, label: string, store: Store = memoryStore(), between = () => {}) {
  const a = client(store);
  module.crash.label = label;
  module.crash.client = a;
  const headers = { "idempotency-key": `key-${label}` };
  const first = await module.make(a)(new Request(url, { headers }));
  module.crash.label = "";
  await a.close();
  between();
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

/** A memory store that keeps the text of every call made to it: what reached the store, at any time. */
function recordingStore(): { store: Store; received: string[] } {
  const inner = memoryStore();
  const received: string[] = [];
  const store = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        received.push(JSON.stringify(args, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString() : v)));
        return value.apply(target, args);
      };
    },
  });
  return { store, received };
}

/**
 * SDK-like clients (issue #12, "values that cannot be saved"): a class holding a key and a real TCP socket to an
 * authenticating echo server, and a plain object whose function member closes over the key.
 */
const sdkPrelude = `
import { connect, type Socket } from "node:net";
import { createHmac } from "node:crypto";
export const SECRET = "sk_live_" + "7Hq2ZrX9";
export const server = { port: 0 };
export const sockets: Socket[] = [];
class Payments {
  #key: string;
  socket: Socket;
  limit = 0;
  constructor(key: string) {
    probe("connect");
    this.#key = key;
    this.socket = connect(server.port, "127.0.0.1");
    sockets.push(this.socket);
  }
  /** one round trip on the socket: the server answers "ok <amount>" when the key is right */
  charge(amount: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.socket.once("data", (data) => resolve(String(data)));
      this.socket.once("error", reject);
      this.socket.write(this.#key + " " + amount);
    });
  }
}
function createSigner(key: string) {
  probe("signer");
  return { algorithm: "sha256", sign: (message: string) => createHmac("sha256", key).update(message).digest("hex").slice(0, 16) };
}
`;

interface SdkModule extends Module {
  SECRET: string;
  server: { port: number };
  sockets: { destroy(): void }[];
}

describe("values that cannot be saved are re-created on resume (issue #12)", () => {
  let echo: Server;
  beforeAll(async () => {
    echo = createServer((socket) => socket.on("data", (data) => {
      const [key, amount] = String(data).split(" ");
      socket.write(key === "sk_live_7Hq2ZrX9" ? `ok ${amount}` : "denied");
    }));
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

  const connectTo = (...modules: SdkModule[]) => {
    for (const m of modules) m.server.port = (echo.address() as AddressInfo).port;
  };
  const hangUp = (...modules: SdkModule[]) => {
    for (const m of modules) m.sockets.splice(0).forEach((s) => s.destroy());
  };

  it("a client holding a socket and a key, a closure over it and a signer: never saved, re-created, working after the resume", async () => {
    const { plain, compiled, diagnostics } = await load<SdkModule>(
      `async (req: Request) => {
        probe("top");
        const payments = new Payments(SECRET);
        const pay = (amount: number) => payments.charge(amount);
        const signer = createSigner(SECRET);
        const seen = new Set<string>();
        seen.add("top");
        const order = await step.run("load", () => { probe("load"); return { amount: 5 }; });
        const charged = await step.run("charge", () => { probe("charge"); return pay(order.amount); });
        seen.add("charged");
        const signature = await step.run("sign", () => { probe("sign"); return signer.sign(charged); });
        return Response.json({ charged, signature, seen: [...seen] });
      }`,
      sdkPrelude,
    );
    expect(diagnostics).toEqual([]);
    connectTo(plain, compiled);
    try {
      const expected = await run(plain, "http://localhost/api/pay");
      expect(expected.status).toBe(200);
      expect(JSON.parse(expected.body)).toMatchObject({ charged: "ok 5", seen: ["top", "charged"] });
      expect(await run(compiled, "http://localhost/api/pay")).toEqual(expected);

      // a crash in a step resumes at the last checkpoint (the step before it), where both are still used: each is made
      // by the first execution and once again by the resumed one (a crash in "load" comes before any checkpoint: the run restarts)
      for (const label of ["load", "charge", "sign"]) {
        compiled.log.length = 0;
        const { store, received } = recordingStore();
        expect(await crashAndResume(compiled, "http://localhost/api/pay", label, store), label).toEqual(expected);
        expect(compiled.log.filter((l) => l === "top").length, label).toBe(label === "load" ? 2 : 1);
        expect(compiled.log.filter((l) => l === "connect").length, label).toBe(2);
        expect(compiled.log.filter((l) => l === "signer").length, label).toBe(2);
        expect(received.join("\n"), label).toContain("locals");
        expect(received.join("\n"), label).not.toContain(plain.SECRET);
        hangUp(compiled);
      }
    } finally {
      hangUp(plain, compiled);
    }
  });

  it("an instance changed after it is created is never silently reset: a warning, and the checkpoint fails naming it", async () => {
    const { plain, compiled, diagnostics } = await load<SdkModule>(
      `async (req: Request) => {
        const payments = new Payments(SECRET);
        payments.limit = 10;
        const order = await step.run("load", () => ({ amount: 5 }));
        const charged = await step.run("charge", () => payments.charge(Math.min(order.amount, payments.limit)));
        return Response.json({ charged, limit: payments.limit });
      }`,
      sdkPrelude,
    );
    expect(diagnostics.map((d) => d.code)).toEqual(["DE1007"]);
    expect(diagnostics[0]!.message).toContain("because it is changed after it is created");
    connectTo(plain, compiled);
    try {
      expect(await run(plain, "http://localhost/api/limit")).toEqual({ status: 200, body: JSON.stringify({ charged: "ok 5", limit: 10 }) });
      const failed = await run(compiled, "http://localhost/api/limit");
      expect(failed.status).toBe(500);
      expect(JSON.parse(failed.body).error.message).toContain('local "payments" holds a Payments instance cannot be saved');
    } finally {
      hangUp(plain, compiled);
    }
  });
});

describe("global state changed before an await (DE1016)", () => {
  it("compiles with the warning at the write; a run resumed without the change (a new process) does not see it", async () => {
    const handler = `async (req: Request) => {
      probe("top");
      (globalThis as any).counter = 1;
      await step.run("first", () => { probe("first"); return 1; });
      const seen = await step.run("a", () => { probe("a"); return (globalThis as any).counter ?? null; });
      return Response.json({ seen, after: (globalThis as any).counter ?? null });
    }`;
    const { plain, compiled, diagnostics } = await load(handler);
    const line = moduleSource(handler).split("\n").findIndex((l) => l.includes("(globalThis as any).counter = 1")) + 1;
    expect(diagnostics.map((d) => [d.code, d.severity, d.line])).toEqual([["DE1016", "warning", line]]);
    expect(diagnostics[0]!.message).toContain("This changes `globalThis.counter`, reached from the global `globalThis`");
    expect(diagnostics[0]!.frame).toContain("(globalThis as any).counter = 1;");
    try {
      const url = "http://localhost/api/global";
      const expected = await run(plain, url);
      expect(expected).toEqual({ status: 200, body: JSON.stringify({ seen: 1, after: 1 }) });
      expect(await run(compiled, url)).toEqual(expected);
      // the process dies in step "a"; the one that resumes never ran the write (what the warning says)
      compiled.log.length = 0;
      const resumed = await crashAndResume(compiled, url, "a", memoryStore(), () => delete (globalThis as any).counter);
      expect(resumed).toEqual({ status: 200, body: JSON.stringify({ seen: null, after: null }) });
      expect(compiled.log.filter((l) => l === "top")).toHaveLength(1);
    } finally {
      delete (globalThis as any).counter;
    }
  });
});
