/** Readable output: snapshots of representative machines, untouched surroundings, source maps, the Babel plugin. */
import { transformSync as babelTransform } from "@babel/core";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { describe, expect, it } from "vitest";
import durable, { transform, type EndpointMetadata } from "../src/index.js";

const prices = `import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "shop", endpointAdapter });
type Item = { price: number };

// the rest of the module stays byte-for-byte
export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const ids = new URL(req.url).searchParams.getAll("id");
  let total = 0;
  for (const id of ids) {
    const item: Item = await step.run("price", () => fetchPrice(id));
    total += item.price;
  }
  await step.sleep("cool-down", "30s");
  return Response.json({ total });
});

async function fetchPrice(id: string): Promise<Item> {
  return { price: Number(id) };
}
`;

describe("readable output", () => {
  it("keeps everything but the handler byte-for-byte", () => {
    const { code } = transform(prices, { filename: "/shop/src/prices.ts", root: "/shop" });
    const [before] = prices.split("inngest.endpoint(");
    expect(code.startsWith(before + "inngest.endpoint({")).toBe(true);
    expect(code.endsWith("});\n\nasync function fetchPrice(id: string): Promise<Item> {\n  return { price: Number(id) };\n}\n")).toBe(true);
  });

  it("loop + sleep", () => {
    const result = transform(prices, { filename: "/shop/src/prices.ts", root: "/shop" });
    expect(result.code.slice(result.code.indexOf("export const handler"), result.code.indexOf("async function fetchPrice"))).toMatchSnapshot();
    expect(result.endpoints).toEqual([
      {
        id: "src/prices.ts#handler",
        name: "handler",
        version: expect.stringMatching(/^[0-9a-f]{12}$/),
        steps: [
          { id: "price", kind: "run", line: 12, state: 4 },
          { id: "cool-down", kind: "sleep", line: 15, state: 10 },
        ],
        states: 11,
        captured: ["total", "id_iterable", "id_count", "id"],
        live: { 4: ["total", "id_iterable", "id_count", "id"], 10: ["total"] },
        recreate: {},
        stateDescriptions: expect.any(Array),
      },
    ]);
  });

  it("describes every state: its steps, what it saves, its source lines, where it goes, where its case is", () => {
    const { code, endpoints } = transform(prices, { filename: "/shop/src/prices.ts", root: "/shop" });
    const states = endpoints[0]!.stateDescriptions;
    const saved = ["total", "id_iterable", "id_count", "id"];
    expect(states.map(({ codeLines, ...s }) => s)).toEqual([
      { state: 0, steps: [], live: [], lines: [9, 10, 11], next: [1] },
      { state: 1, steps: [], live: [], lines: [], next: [2] }, // the try that closes the iterator on a break/throw
      { state: 2, steps: [], live: [], lines: [11], next: [3, 6] }, // for…of head: the next element, or done
      { state: 3, steps: [], live: [], lines: [11], next: [4] },
      { state: 4, steps: [{ id: "price", kind: "run", line: 12 }], live: saved, lines: [12, 13], next: [5] },
      { state: 5, steps: [], live: [], lines: [], next: [2] }, // loop continue: generated code
      { state: 6, steps: [], live: [], lines: [], next: [8] },
      { state: 7, steps: [], live: [], lines: [], next: ["end", 8] }, // catch: close the iterator, rethrow
      { state: 8, steps: [], live: [], lines: [11], next: ["end", 9] }, // finally: close it unless exhausted
      { state: 9, steps: [], live: [], lines: [], next: [10] },
      { state: 10, steps: [{ id: "cool-down", kind: "sleep", line: 15 }], live: ["total"], lines: [15, 16], next: ["end"] },
    ]);
    // each state's lines in the output run from its `case` label to its last statement
    const lines = code.split("\n");
    for (const { state, codeLines } of states) {
      expect(lines[codeLines!.first - 1]!.trim()).toBe(`case ${state}:`);
      expect(lines[codeLines!.last]!.trim()).toMatch(state === 10 ? /^default:$/ : /^\/\/ .* \(line \d+\)$/);
    }
    // the printed header is the same description: `live` and `steps` per state that awaits
    expect(endpoints[0]!.steps).toEqual(states.flatMap((s) => s.steps.map((step) => ({ ...step, state: s.state }))));
  });

  it("a state's successors ignore returns inside callbacks; its lines include theirs", () => {
    const { endpoints } = transform(
      `import { step } from "inngest";\nexport const h = inngest.endpoint(async () => {\n  const a = await step.run("a", () => {\n    return 1;\n  });\n  if (a) throw new Error("no");\n  return new Response("ok");\n});\n`,
      { filename: "/a.js", root: "/" },
    );
    expect(endpoints[0]!.stateDescriptions[1]).toMatchObject({ lines: [3, 4, 5, 6, 7], next: ["end"] });
  });

  it("try/catch/finally with a pending return", () => {
    const { code } = transform(
      `import { step } from "inngest";
export default inngest.endpoint(async function checkout(req) {
  const order = await step.run("create-order", () => createOrder());
  try {
    await step.run("charge", () => charge(order));
    return Response.json({ ok: true });
  } catch (error) {
    await step.run("refund", () => refund(order));
    return Response.json({ ok: false, reason: error.message }, { status: 402 });
  } finally {
    await step.run("notify", () => notify(order));
  }
});
`,
      { filename: "/app/checkout.js", root: "/app" },
    );
    expect(code).toMatchSnapshot();
  });

  it("user comments stay with their statements, each printed once", () => {
    const { code } = transform(
      `import { step } from "inngest";\nexport const h = inngest.endpoint(async () => {\n  // fetch the user\n  const user = await step.run("user", () => 1);\n  let n = user; // counter\n  /* loop */\n  while (n < 3) n += await step.run("inc", () => 1);\n  return new Response(String(n));\n});`,
      { filename: "/a.js", root: "/" },
    );
    expect(code).toMatch(/\/\/ fetch the user\n\s+\$\.state = 1;/);
    expect(code).toMatch(/n = user; \/\/ counter\n/);
    expect(code.match(/\/\* loop \*\//g)).toHaveLength(1);
  });

  it("metadata lists the steps of a Promise.all, with dynamic ids as their source", () => {
    const { endpoints } = transform(
      `import { step } from "inngest";\nexport const h = inngest.endpoint(async (req) => {\n  const ids = ["a"];\n  const all = await Promise.all(ids.map((id) => step.run(\`fetch-\${id}\`, () => id)));\n  await fetch(req.url);\n  return Response.json(all);\n});`,
      { filename: "/a.js", root: "/" },
    );
    expect(endpoints[0]!.steps).toEqual([
      { id: "fetch-${id}", kind: "run", line: 4, state: 1 },
      { id: null, kind: "await", line: 5, state: 2 },
    ]);
  });

  it("a destructured request parameter is unpacked at the top of resume, never saved", () => {
    const { code, endpoints } = transform(
      `import { step } from "inngest";\nexport const h = inngest.endpoint(async ({ url, method }: Request) => {\n  await step.sleep("s", "1s");\n  return new Response(method + url);\n});`,
      { filename: "/a.ts", root: "/" },
    );
    expect(code).toContain("const {\n      url,\n      method\n    }: Request = req;");
    expect(endpoints[0]!.captured).toEqual([]);
  });

  it("Promise.all, a local helper, a switch and a dynamic step id", () => {
    const { code } = transform(
      `import { step } from "inngest";
export const fanout = inngest.endpoint(async (req: Request) => {
  const ids = new URL(req.url).searchParams.getAll("id");
  async function enrich(id: string) {
    return step.run(\`enrich-\${id}\`, () => ({ id, score: id.length }));
  }
  const items = await Promise.all(ids.map((id) => enrich(id)));
  switch (items.length) {
    case 0:
      return new Response("none", { status: 404 });
    default:
      await step.sleep("settle", "1s");
  }
  return Response.json(items);
});
`,
      { filename: "/app/fanout.ts", root: "/app" },
    );
    expect(code).toMatchSnapshot();
  });

  it("the version ignores formatting and comments, and changes with the code", () => {
    const v = (body: string) => transform(`import { step } from "inngest";\nexport const h = inngest.endpoint(${body});`, { filename: "/a.js", root: "/" }).endpoints[0]!.version;
    const base = v(`async () => { const a = await step.run("a", () => 1); return new Response(String(a)); }`);
    expect(v(`async () => {\n  // a comment\n  const a = await step.run("a", () => 1);\n\n  return new Response(String(a));\n}`)).toBe(base);
    expect(v(`async () => { const a = await step.run("b", () => 1); return new Response(String(a)); }`)).not.toBe(base);
  });

  it("handlers wrapped in `as` / `satisfies` / parentheses are compiled too", () => {
    const { endpoints } = transform(
      `import { step } from "inngest";\nexport const a = inngest.endpoint((async (req) => new Response(await step.run("a", () => "x"))) as Handler);\nexport const b = inngest.endpoint((async () => new Response("b")) satisfies Handler);\n`,
      { filename: "/app/w.ts", root: "/app" },
    );
    expect(endpoints.map((e) => e.id)).toEqual(["w.ts#a", "w.ts#b"]);
  });

  it("endpoint options (a second argument) stay as written after the machine", () => {
    const { code, endpoints } = transform(
      `import { step } from "inngest";\nexport const h = inngest.endpoint(async () => new Response(await step.run("a", () => "x")), { concurrency: { limit: 2 } });\n`,
      { filename: "/app/o.ts", root: "/app" },
    );
    expect(endpoints.map((e) => e.id)).toEqual(["o.ts#h"]);
    expect(code).toMatch(/durable: 1,[\s\S]*\}, \{ concurrency: \{ limit: 2 \} \}\);\n$/);
  });

  it("a module that imports nothing from an import source is left alone", () => {
    const code = `import { api } from "other-lib";\nexport const h = api.endpoint(async () => new Response(await fetch("x")));\n`;
    expect(transform(code, { filename: "/a.ts" })).toMatchObject({ code, map: null, endpoints: [] });
    expect(transform(code, { filename: "/a.ts", importSources: ["other-lib"] }).endpoints).toHaveLength(1);
  });

  it("a handler without awaits is a one-state machine", () => {
    const { code, endpoints } = transform(`import { step } from "inngest";\nexport const h = inngest.endpoint(async (req) => new Response(req.url));\n`, { filename: "/a.js", root: "/" });
    expect(code).toContain("live: {},\n  steps: [],");
    expect(endpoints[0]).toMatchObject({ states: 1, captured: [], steps: [] });
  });

  it("fast path: no `.endpoint(` → returned as is", () => {
    const code = "export const x = 1 +;"; // not even parsed
    expect(transform(code, { filename: "/a.ts" })).toEqual({ code, map: null, endpoints: [], diagnostics: [] });
  });
});

describe("source maps", () => {
  it("an error thrown in compiled code maps back to the user's line", async () => {
    const source = `import { step } from "inngest";
export const handler = inngest.endpoint(async (req) => {
  const a = await step.run("a", () => 1);

  if (a === 1) {
    throw new Error("boom at line 6");
  }
  return new Response("never");
});
`;
    const { code, map } = transform(source, { filename: "/app/boom.js", root: "/app" });
    const runnable = code.replace(/^import .*$/m, "").replace("export const handler =", "return");
    const machine = new Function("inngest", runnable)({ endpoint: (m: unknown) => m });
    const $ = { state: 0, locals: {}, step: { run: async (_id: string, fn: () => unknown) => fn() } };
    const error: Error = await machine.resume($, new Request("http://x/")).catch((e: Error) => e);
    // new Function adds 2 lines of wrapper ("function anonymous(inngest\n) {")
    const frame = /<anonymous>:(\d+):(\d+)/.exec(error.stack!)!;
    const position = originalPositionFor(new TraceMap(map as never), { line: Number(frame[1]) - 2, column: Number(frame[2]) - 1 });
    expect(position).toMatchObject({ source: "/app/boom.js", line: 6 });
  });

  it("unchanged lines map to themselves and an input map is composed", () => {
    const source = `import { step } from "inngest";\nconst before = 1;\nexport const h = inngest.endpoint(async () => new Response(await step.run("a", () => "x")));\nconst after = 2;\n`;
    const { code, map } = transform(source, { filename: "/app/m.js", root: "/app" });
    const trace = new TraceMap(map as never);
    const afterLine = code.split("\n").findIndex((l) => l.startsWith("const after")) + 1;
    expect(originalPositionFor(trace, { line: afterLine, column: 0 })).toMatchObject({ line: 4, column: 0 });
    expect(originalPositionFor(trace, { line: 2, column: 0 })).toMatchObject({ line: 2, column: 0 });

    // pretend the source itself came from "/app/m.orig.js" shifted down by 10 lines
    const input = { version: 3, sources: ["/app/m.orig.js"], names: [], mappings: "", file: "/app/m.js" } as Record<string, unknown>;
    input.mappings = Array.from({ length: 5 }, (_, i) => (i === 0 ? "AAUA" : "AACA")).join(";");
    const composed = transform(source, { filename: "/app/m.js", root: "/app", inputSourceMap: input as never });
    expect(originalPositionFor(new TraceMap(composed.map as never), { line: afterLine, column: 0 })).toMatchObject({ source: "/app/m.orig.js", line: 14 });
  });
});

describe("Babel plugin", () => {
  it("compiles endpoints inside any Babel pipeline and reports metadata", () => {
    const result = babelTransform(`import { step } from "inngest";\nexport const h = inngest.endpoint(async () => new Response(await step.run("a", () => "x")));\n`, {
      filename: "/app/p.js",
      babelrc: false,
      configFile: false,
      plugins: [[durable, { root: "/app" }]],
    });
    expect(result!.code).toContain(`id: "p.js#h"`);
    expect(result!.code).toContain(`live: {\n    1: []\n  },`);
    expect(result!.code).toContain(`await $.step.run("a", () => "x")`);
    const { endpoints } = (result!.metadata as { durableEndpoints: { endpoints: EndpointMetadata[] } }).durableEndpoints;
    expect(endpoints).toMatchObject([{ id: "p.js#h", states: 2, steps: [{ id: "a", kind: "run", line: 2, state: 1 }] }]);
    expect(endpoints[0]!.stateDescriptions.map((s) => s.next)).toEqual([[1], ["end"]]);
  });

  it("throws a code-frame error for an unsupported construct", () => {
    expect(() =>
      babelTransform(`import { step } from "inngest";\nexport const h = inngest.endpoint(async () => { [1].forEach(async () => { await step.run("a", () => 1); }); return new Response(""); });\n`, {
        filename: "/app/p.js",
        babelrc: false,
        configFile: false,
        plugins: [durable],
      }),
    ).toThrow(/DE1005|nothing awaits/);
  });
});
