/**
 * One test per supported construct (packages/transform/README.md, Supported): compiled vs plain, straight and crashed/resumed at
 * every checkpoint (see harness.ts expectEquivalent).
 */
import { describe, expect, it } from "vitest";
import { expectEquivalent, load } from "./harness.js";

const endpoint = (handler: string, prelude = "") =>
  `import { Inngest, step } from "inngest";\n${prelude}\nexport const handler = inngest.endpoint(${handler});\n`;

const check = async (handler: string, options: Parameters<typeof expectEquivalent>[1] & { prelude?: string; minCheckpoints?: number } = {}) => {
  const loaded = load(endpoint(handler, options.prelude));
  const { checkpoints, plain } = await expectEquivalent(loaded, options);
  expect(checkpoints).toBeGreaterThanOrEqual(options.minCheckpoints ?? 1);
  return { loaded, plain };
};

describe("declarations and scopes", () => {
  it("const/let/var, shadowing and block scopes", async () => {
    await check(`async (req) => {
      const x = 1; let y = 2; var z = 3;
      { const x = 10; y += await step.run("a", () => x); probe("inner " + x); }
      if (y > 5) { let x = "shadow"; const got = await step.run("b", () => x + y); probe(got); var late = got; }
      return Response.json({ x, y, z, late });
    }`);
  });

  it("destructuring of step results, params, defaults and rest", async () => {
    await check(`async ({ url }) => {
      const { a, b: [first, ...others], c = "dflt" } = await step.run("obj", () => ({ a: 1, b: [1, 2, 3] }));
      const [p, q = await step.run("dflt", () => 42)] = [await step.run("arr", () => 7)];
      let s, t; ({ s, t = await step.run("t", () => "T") } = { s: "S" });
      const { ["k" + 1]: k1 = await step.run("k1", () => "K"), "x-y": xy, ...restObj } = { "x-y": 1, r1: 2, r2: 3 };
      return Response.json({ url, a, first, others, c, p, q, s, t, k1, xy, restObj });
    }`);
  });

  it("closures capture the loop variable of their iteration", async () => {
    await check(`async () => {
      const fns = [];
      for (const n of [1, 2, 3]) {
        const doubled = n === 1 ? await step.run("double", () => n * 2) : n;
        fns.push(() => n + ":" + doubled); // no await after this: fns stays serializable at checkpoints
      }
      return Response.json(fns.map((f) => f()));
    }`);
  });

  it("function declarations and const arrows are re-created on resume", async () => {
    await check(`async (req) => {
      const base = await step.run("base", () => 10);
      function add(n) { return base + n; }
      const twice = (n) => add(n) * 2;
      const r = await step.run("r", () => twice(1));
      return new Response(String(add(r)));
    }`);
  });
});

describe("values that cannot be saved: re-created on resume (README)", () => {
  const sdk = `
class Client {
  #key; #socket;
  constructor(key) { this.#key = key; this.#socket = { send: (m) => key.length + ":" + m }; }
  get(path) { return this.#socket.send(path); }
}
const connect = (url) => ({ url, query: (sql) => url + " " + sql });
`;

  it("a class instance, an object with a function member and a closure, made from locals and the request", async () => {
    await check(`async (req) => {
      const key = new URL(req.url).searchParams.get("key");
      const client = new Client(key);
      const db = connect(req.url);
      const query = db.query.bind(db);
      const seen = new Set();
      seen.add("top");
      const a = await step.run("a", () => client.get("/a"));
      seen.add(a);
      const b = await step.run("b", () => client.get("/b") + " " + query("select 1"));
      probe(b);
      await step.sleep("s", "1ms");
      return Response.json({ a, b, c: client.get("/c"), seen: [...seen] });
    }`, { prelude: sdk, url: "http://localhost/api?key=secret", minCheckpoints: 3 });
  });

  it("one per loop iteration, from the iteration's own const", async () => {
    await check(`async () => {
      const out = [];
      for (const name of ["x", "yy", "zzz"]) {
        const client = new Client(name);
        await step.run("warm-" + name, () => 1);
        out.push(await step.run("get-" + name, () => client.get(name)));
        probe(client.get("after"));
      }
      return Response.json(out);
    }`, { prelude: sdk, minCheckpoints: 6 });
  });

  it("a `var`, and one read before its declaration ran (undefined there)", async () => {
    await check(`async () => {
      probe(String(early));
      var client = new Client("k");
      const out = [await step.run("a", () => client.get("/a"))];
      await step.run("b", () => 1);
      var early = new Client("e");
      await step.run("c", () => 1);
      return Response.json([...out, client.get("/c"), early.get("/e")]);
    }`, { prelude: sdk, minCheckpoints: 3 });
  });

  it("from a class and a function declared in the handler", async () => {
    await check(`async () => {
      class Local { constructor(n) { this.n = n; } twice() { return this.n * 2; } }
      function make(n) { return new Local(n); }
      const one = make(21);
      await step.run("a", () => 1);
      return new Response(String(one.twice()));
    }`);
  });
});

describe("control flow", () => {
  it("if/else with steps in both branches", async () => {
    const handler = `async (req) => {
      const flag = new URL(req.url).searchParams.get("flag");
      let out;
      if (flag === "yes") { out = await step.run("yes", () => "Y"); probe("then"); }
      else if (flag === "maybe") out = "M";
      else { out = await step.run("no", () => "N"); probe("else"); }
      return new Response(out);
    }`;
    await check(handler, { url: "http://localhost/?flag=yes" });
    await check(handler, { url: "http://localhost/?flag=no" });
  });

  it("switch with fallthrough, default and break", async () => {
    const handler = `async (req) => {
      const kind = new URL(req.url).searchParams.get("kind");
      const seen = [];
      switch (kind) {
        case "a": seen.push(await step.run("a", () => "A"));
        case "b": seen.push(await step.run("b", () => "B")); break;
        default: seen.push(await step.run("d", () => "D"));
        case "c": seen.push("C");
      }
      return Response.json(seen);
    }`;
    await check(handler, { url: "http://localhost/?kind=a" });
    await check(handler, { url: "http://localhost/?kind=zzz" });
  });

  it("for loop with dynamic step ids", async () => {
    await check(`async () => {
      let total = 0;
      for (let i = 0; i < 4; i++) { total += await step.run(\`item-\${i}\`, () => i * 10); probe("i" + i); }
      return Response.json({ total });
    }`, { minCheckpoints: 4 });
  });

  // generators: test/iteration.test.ts (lazy without a crash; cannot be saved at a checkpoint)
  it("for…of over arrays, Maps, Sets and strings (repeated step ids get :N)", async () => {
    await check(`async () => {
      const out = [];
      for (const v of [1, 2]) out.push(await step.run("arr", () => v));
      for (const [k, v] of new Map([["a", 1], ["b", 2]])) out.push(await step.run("map", () => k + v));
      for (const v of new Set(["x", "y"])) out.push(await step.run("set", () => v));
      for (const ch of "hé") out.push(await step.run("str", () => ch));
      return Response.json(out);
    }`, { minCheckpoints: 8 });
  });

  it("for…in", async () => {
    await check(`async () => {
      const obj = { a: 1, b: 2, c: 3 };
      let keys = "";
      for (const k in obj) keys += await step.run("key", () => k + obj[k]);
      return new Response(keys);
    }`, { minCheckpoints: 3 });
  });

  it("while and do…while", async () => {
    await check(`async () => {
      let n = 0, m = 0;
      while (n < 3) { n = await step.run("inc", () => n + 1); probe("w" + n); }
      do { m = await step.run("dec", () => m - 1); } while (m > -2);
      return Response.json({ n, m });
    }`, { minCheckpoints: 5 });
  });

  it("labels with break and continue", async () => {
    await check(`async () => {
      const out = [];
      outer: for (let i = 0; i < 3; i++) {
        inner: for (let j = 0; j < 3; j++) {
          if (j === 1) continue inner;
          if (i === 1) continue outer;
          const v = await step.run(\`p-\${i}-\${j}\`, () => i * 10 + j);
          if (v === 22) break outer;
          out.push(v);
        }
      }
      block: { out.push(await step.run("blk", () => "in")); if (out.length) break block; out.push("never"); }
      return Response.json(out);
    }`);
  });

  it("jumps out of loops that need no lowering themselves", async () => {
    await check(`async () => {
      const out = [];
      outer: for (let i = 0; i < 3; i++) {
        out.push(await step.run("i-" + i, () => i));
        for (let j = 0; j < 3; j++) {
          if (j === i) continue outer;
          if (i === 2) break outer;
          out.push("j" + j);
        }
      }
      for (let k = 0; k < 2; k++) {
        try { if (k === 0) continue; out.push("k" + k); }
        finally { out.push(await step.run("fin-" + k, () => "f")); }
      }
      return Response.json(out);
    }`);
  });

  it("a const arrow over the loop variable, used after the step, is re-created (not snapshotted at the top)", async () => {
    await check(`async () => {
      const values = [];
      for (let i = 0; i < 3; i++) {
        const scaled = () => i * 10;
        const doubled = await step.run(\`double-\${i}\`, () => i * 2);
        values.push(scaled() + doubled);
      }
      return Response.json(values);
    }`);
  });

  it("a const arrow in a loop is a new closure per iteration, also after a resume", async () => {
    await check(`async () => {
      const fns = [];
      for (let i = 0; i < 3; i++) {
        const f = () => i;
        if (i === 0) await step.run("first", () => i); // fns is still [] here: saveable
        fns.push(f);
      }
      return Response.json(fns.map((f) => f()));
    }`);
  });

  it("closures in a lowered for (let …) loop see their own iteration's value", async () => {
    await check(`async () => {
      const fns = [];
      for (let i = 0; i < 3; i++) {
        if (i === 0) await step.run("first", () => i);
        fns.push(() => i);
      }
      return Response.json(fns.map((f) => f()));
    }`);
  });

  it("return from inside loops and branches", async () => {
    await check(`async () => {
      for (let i = 0; ; i++) {
        const v = await step.run("probe-" + i, () => i * i);
        if (v > 5) return Response.json({ i, v });
      }
    }`);
  });
});

describe("try/catch/finally", () => {
  it("an exhausted step's StepError lands in the right catch", async () => {
    await check(`async () => {
      const log = [];
      try {
        log.push(await step.run("ok", () => 1));
        try {
          await step.run("fails", () => { throw new Error("boom"); });
          log.push("unreachable");
        } catch (err) {
          log.push(err.name + ":" + err.message);
          throw new Error("rethrown " + await step.run("inner-catch", () => "x"));
        }
      } catch ({ message }) {
        log.push("outer:" + message);
      }
      return Response.json(log);
    }`, { scenario: { retries: 1 } });
  });

  it("finally runs steps, with return/break/continue pending", async () => {
    await check(`async () => {
      const log = [];
      for (let i = 0; i < 4; i++) {
        try {
          if (i === 0) continue;
          if (i === 2) break;
          log.push(await step.run("body-" + i, () => i));
        } finally {
          log.push(await step.run("fin-" + i, () => "f" + i));
        }
      }
      try {
        return Response.json(log);
      } finally {
        log.push(await step.run("after-return", () => "late"));
        probe(JSON.stringify(log));
      }
    }`);
  });

  it("nested finally and a throw completion", async () => {
    await check(`async () => {
      const log = [];
      try {
        try {
          try { await step.run("fail", () => { throw new Error("x"); }); }
          finally { log.push(await step.run("f1", () => 1)); }
        } finally { log.push(await step.run("f2", () => 2)); }
      } catch (e) { log.push("caught " + e.message); }
      return Response.json(log);
    }`, { scenario: { retries: 0 } });
  });

  it("a StepError nobody catches rejects the handler", async () => {
    const loaded = load(endpoint(`async () => { await step.run("x", () => { throw new Error("final"); }); return new Response("no"); }`));
    const { runMachine, RunRecord } = await import("./harness.js");
    await expect(runMachine(loaded.machine, () => new Request("http://localhost/"), new RunRecord(), { retries: 0 }, null)).rejects.toThrow("final");
  });
});

describe("await in expressions", () => {
  it("binary operators, ternaries and short-circuits evaluate in order", async () => {
    await check(`async () => {
      let calls = 0;
      const side = (v) => { calls++; probe("side " + v); return v; };
      const a = side(1) + await step.run("a", () => 2) * side(3);
      const b = side(false) && await step.run("never", () => 1);
      const c = side(0) || await step.run("or", () => "or");
      const d = side(null) ?? await step.run("nullish", () => "nn");
      const e = a > 5 ? await step.run("big", () => "big") : await step.run("small", () => "small");
      let f = null; f ??= await step.run("assign", () => "f");
      const o = { p: 0, q: "set", list: [null] };
      o.p ||= await step.run("prop", () => 7);
      o.q &&= await step.run("prop2", () => "and");
      o.list[side(0)] ??= await step.run("elem", () => "e");
      return Response.json({ a, b, c, d, e, f, o, calls });
    }`);
  });

  it("call arguments, template literals, object and array literals", async () => {
    await check(`async () => {
      const join = (...xs) => xs.join("|");
      const s = join("x", await step.run("one", () => 1), String(await step.run("two", () => 2)));
      const t = \`<\${await step.run("t", () => "T")}-\${s}>\`;
      const o = { k: await step.run("k", () => "K"), [await step.run("key", () => "dyn")]: 1, ...(await step.run("spread", () => ({ z: 26 }))) };
      const arr = [s.length, await step.run("el", () => "E"), ...(await step.run("els", () => [8, 9]))];
      return Response.json({ s, t, o, arr });
    }`);
  });

  it("shorthand properties of captured locals, also inside closures", async () => {
    await check(`async (req) => {
      const id = new URL(req.url).pathname;
      const user = await step.run("a", () => ({ id }));
      const again = await step.run("b", () => ({ id: id, user }));
      return Response.json({ id, user, again });
    }`);
  });

  it("hoists side effects before the await so they run once", async () => {
    await check(`async () => {
      let i = 0;
      const ids = [];
      ids.push(await step.run(\`n-\${i++}\`, () => i));
      ids.push(await step.run("m", ((x) => () => x)(i++)));
      return Response.json({ ids, i });
    }`);
  });

  it("Promise.all and Promise.race over steps", async () => {
    await check(`async () => {
      const ids = ["a", "b", "c"];
      const all = await Promise.all(ids.map((id) => step.run("fetch-" + id, () => id.toUpperCase())));
      const [x, y] = await Promise.all([step.run("x", () => 1), step.run("y", () => 2)]);
      const first = await Promise.race([step.run("r", () => "race")]);
      return Response.json({ all, x, y, first });
    }`, { minCheckpoints: 6 });
  });

  it("steps inside helper functions (module level and local)", async () => {
    await check(`async () => {
      async function local(n) { return (await step.run("local", () => n)) + 1; }
      const a = await helper("h1");
      const b = await local(a.length);
      return Response.json({ a, b });
    }`, { prelude: `async function helper(id) { const v = await step.run(id, () => id + "!"); return v + await step.run(id + "-2", () => "?"); }` });
  });

  it("Promise.all over a helper that calls steps (re-issued from the memo on resume)", async () => {
    await check(`async () => {
      async function enrich(id) { return step.run("enrich-" + id, () => ({ id, n: id.length })); }
      const items = await Promise.all(["a", "bb", "ccc"].map((id) => enrich(id)));
      const more = await Promise.all(items.map(async (item) => (await enrich(item.id + "!")).n));
      return Response.json({ items, more });
    }`, { minCheckpoints: 6 });
  });

  it("non-step awaits and awaited plain values", async () => {
    await check(`async (req) => {
      const t = await Promise.resolve(3);
      const body = await step.run("s", async () => { await new Promise((r) => setTimeout(r, 1)); return t * 2; });
      const plain = await 5;
      return new Response(String(body + plain));
    }`);
  });

  it("sleep, sleepUntil and waitForEvent", async () => {
    await check(`async () => {
      await step.sleep("nap", "1s");
      await step.sleepUntil("until", new Date(0));
      const ev = await step.waitForEvent("approval", { event: "app/approved", timeout: "1h" });
      const none = await step.waitForEvent("never", { event: "x", timeout: "1s" });
      return Response.json({ ev, none });
    }`, { scenario: { events: { approval: { name: "app/approved", data: { ok: true } } } }, minCheckpoints: 4 });
  });
});

describe("handler forms", () => {
  it("function expressions, named functions declared elsewhere, several endpoints per module", async () => {
    const module = `import { step } from "inngest";
async function named(req) { const v = await step.run("n", () => "named"); return new Response(v); }
export const a = inngest.endpoint(named);
export const b = inngest.endpoint(async function (req) { return new Response(await step.run("f", () => "fn")); });
export const handler = inngest.endpoint(async (req) => new Response(await step.run("arrow", () => "arrow")));
`;
    const loaded = load(module);
    await expectEquivalent(loaded);
    expect(loaded.compiled).toContain(`async function named(req) { const v = await step.run("n", () => "named"); return new Response(v); }`);
    expect(loaded.compiled.match(/durable: 1/g)).toHaveLength(3);
  });
});
