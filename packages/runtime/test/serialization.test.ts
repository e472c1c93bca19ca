import { stringify } from "devalue";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, test } from "vitest";
import { deserialize, serialize, step, StepError } from "@durable-endpoints/runtime";
import { snapshotLocals } from "../src/serialize.js";
import { closeClients, follow, req, testClient } from "./helpers.js";

afterEach(closeClients);

const roundTrip = async <T>(value: T): Promise<T> => deserialize<T>(await serialize(value));

describe("serialization", () => {
  test("primitives are stored exactly as devalue writes them (the fast path for step results)", async () => {
    for (const value of [0, 1, -1, 1.5, 1e21, 5e-7, 2 ** 53, -0, NaN, Infinity, -Infinity, null, true, false, undefined, "a", 1n]) {
      expect(await serialize(value)).toBe(stringify(value));
      expect(Object.is(await roundTrip(value), value)).toBe(true);
    }
  });

  test("locals made of primitives are stored exactly as devalue writes them (the fast path for a state's locals)", () => {
    const records: Record<string, unknown>[] = [
      {},
      { n: 1000, i: 5 },
      { n: 5, i: 5, j: 5 },
      { a: "x", b: "x", c: null, d: true, e: false, f: undefined, g: 0, h: 1.5e-7, k: 2 ** 53 },
      { "a b": 1, é: "ü", $: "", _: "😀", q: 'say "hi"', lt: "<b>", nl: "a\nb", bs: "a\\b", ls: "\u2028", lone: "\ud800" },
      { z: -0, nan: NaN, inf: Infinity, big: 1n, obj: { k: 1 }, list: [1, 2], date: new Date(0) },
      { one: 1, str: "1", t: true, s: "true", nul: null, ns: "null" },
      { 10: "ten", 2: "two", x: 2 },
    ];
    for (const record of records) {
      for (const [key, value] of Object.entries(record)) {
        const one = { [key]: value };
        expect(snapshotLocals(one, {}, undefined).text).toBe(stringify(one));
      }
      expect(snapshotLocals(record, {}, undefined).text).toBe(stringify(record));
      expect(deserialize(snapshotLocals(record, {}, undefined).text)).toEqual(record);
    }
  });

  test("JS and web types survive", async () => {
    const value = {
      date: new Date("2020-01-02T03:04:05.006Z"),
      map: new Map<unknown, unknown>([[1, "one"], [{ k: 1 }, new Set([1n])]]),
      set: new Set(["a", "b"]),
      big: 123456789012345678901234567890n,
      undef: undefined,
      nan: NaN,
      negZero: -0,
      regexp: /a+b/giu,
      bytes: new Uint8Array([0, 255, 7]),
      floats: new Float64Array([1.5, -2]),
      url: new URL("https://example.com/p?q=1#h"),
      params: new URLSearchParams("a=1&a=2&b=3"),
      headers: new Headers([["x-a", "1"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]]),
    };
    const back = await roundTrip(value);
    expect(back).toEqual(value);
    expect("undef" in back).toBe(true);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect(back.url).toBeInstanceOf(URL);
    expect(back.params.getAll("a")).toEqual(["1", "2"]);
    expect(back.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  test("cycles and shared references are preserved", async () => {
    const shared = { n: 1 };
    const value: any = { a: shared, b: shared, list: [shared] };
    value.self = value;
    const back = await roundTrip(value);
    expect(back.self).toBe(back);
    expect(back.a).toBe(back.b);
    expect(back.list[0]).toBe(back.a);
  });

  test("a tagged template's strings array cannot be saved: its identity and freezing would be lost", async () => {
    const strings = ((s: TemplateStringsArray) => s)`a${1}b`;
    await expect(serialize({ kept: [strings] })).rejects.toMatchObject({ path: ".kept[0]", message: expect.stringContaining("tagged template's strings") });
    // an array that only looks like one (not frozen) is data: its named property `raw` comes back too
    const back = await roundTrip(Object.assign(["a"], { raw: ["a"] }));
    expect([...back, back.raw]).toEqual(["a", ["a"]]);
  });

  test("frozen, sealed and non-extensible objects and arrays come back exactly; ordinary values cost no byte more", async () => {
    const value = {
      frozen: Object.freeze({ a: 1, list: Object.freeze([1, , 3]) }),
      sealed: Object.seal({ b: 2 }),
      closed: Object.preventExtensions({ c: 3 }),
      bare: Object.freeze(Object.assign(Object.create(null), { d: 4 })),
    };
    const back = await roundTrip(value);
    expect(back).toEqual(value);
    expect([Object.isFrozen(back.frozen), Object.isFrozen(back.frozen.list), Object.isSealed(back.sealed), Object.isFrozen(back.sealed)]).toEqual([true, true, true, false]);
    expect([Object.isExtensible(back.closed), Object.isSealed(back.closed), Object.getPrototypeOf(back.bare), Object.isFrozen(back.bare)]).toEqual([false, false, null, true]);
    expect(1 in back.frozen.list).toBe(false);
    const ordinary = { a: 1, list: [1, , 3], nested: { s: "x" }, bare: Object.assign(Object.create(null), { d: 4 }) };
    expect(await serialize(ordinary)).toBe(stringify(ordinary));
  });

  test("read-only, hidden and non-configurable properties keep their attributes, in order; an array keeps its named properties and read-only length", async () => {
    const object = Object.defineProperties({ first: 1 } as Record<string, unknown>, {
      fixed: { value: "r", enumerable: true },
      hidden: { value: "h", writable: true, configurable: true },
      pinned: { value: "p", writable: true, enumerable: true },
    });
    object.last = 2;
    const list = Object.assign([1, 2], { note: "n" });
    Object.defineProperty(list, "length", { writable: false });
    const back = await roundTrip({ object, list, own: JSON.parse('{"__proto__": 1}') });
    expect(Object.getOwnPropertyDescriptors(back.object)).toEqual(Object.getOwnPropertyDescriptors(object));
    expect(Reflect.ownKeys(back.object)).toEqual(["first", "fixed", "hidden", "pinned", "last"]);
    expect(Object.getOwnPropertyDescriptors(back.list)).toEqual(Object.getOwnPropertyDescriptors(list));
    expect(() => back.list.push(3)).toThrow(TypeError);
    expect([Object.hasOwn(back.own, "__proto__"), back.own.__proto__, Object.getPrototypeOf(back.own)]).toEqual([true, 1, Object.prototype]);
  });

  test("restoring defines properties as a literal does: an inherited setter does not run, an inherited read-only property does not block", async () => {
    const text = await serialize({ plain: { x: 1, y: 2 }, bare: Object.assign(Object.create(null), { x: 3 }) });
    let calls = 0;
    Object.defineProperty(Object.prototype, "x", { set: () => void calls++, configurable: true });
    Object.defineProperty(Object.prototype, "y", { value: 0, writable: false, configurable: true });
    try {
      const back = deserialize<{ plain: { x: number; y: number }; bare: { x: number } }>(text);
      expect([Object.hasOwn(back.plain, "x"), back.plain.x, back.plain.y, back.bare.x, calls]).toEqual([true, 1, 2, 3, 0]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).x;
      delete (Object.prototype as Record<string, unknown>).y;
    }
  });

  test("an accessor or a Proxy is refused, naming its path, without running the getter or a trap", async () => {
    let calls = 0;
    const getter = { get p() { return ++calls; } };
    const setterOnly = Object.defineProperty([0], "1", { set() { calls++; } });
    const traps = new Proxy({}, Object.fromEntries(["get", "getPrototypeOf", "ownKeys", "getOwnPropertyDescriptor", "has", "isExtensible"].map((trap) => [trap, () => { throw new Error(`trap ${trap} ran`); }])));
    await expect(serialize({ deep: { getter } })).rejects.toMatchObject({ path: ".deep.getter.p", message: expect.stringContaining("accessor property (getter/setter) cannot be saved") });
    await expect(serialize({ setterOnly })).rejects.toMatchObject({ path: ".setterOnly[1]" });
    await expect(serialize({ list: [traps] })).rejects.toMatchObject({ path: ".list[0]", message: expect.stringContaining("a Proxy cannot be saved") });
    // a Proxy as prototype: refused as another prototype, without asking it anything
    await expect(serialize({ heir: Object.create(traps) })).rejects.toMatchObject({ path: ".heir", message: expect.stringContaining("prototype") });
    await expect(serialize({ fn: new Proxy(() => {}, { get: () => { calls++; } }) })).rejects.toMatchObject({ path: ".fn", message: expect.stringContaining("a Proxy") });
    expect(calls).toBe(0);
  });

  test("a Node Buffer comes back a Buffer holding only its own bytes (not the pool it is a view into)", async () => {
    const pooled = Buffer.from("hi");
    const text = await serialize({ pooled });
    const back = deserialize<{ pooled: Buffer }>(text);
    expect([Buffer.isBuffer(back.pooled), back.pooled.toString(), back.pooled.buffer.byteLength]).toEqual([true, "hi", 2]);
  });

  test("what would come back different is refused: another prototype, a symbol key, a cycle through an exact object", async () => {
    await expect(serialize({ o: Object.create(Object.create(null)) })).rejects.toMatchObject({ path: ".o", message: expect.stringContaining("prototype") });
    await expect(serialize({ a: new (class List extends Array {})() })).rejects.toMatchObject({ path: ".a", message: expect.stringContaining("prototype") });
    await expect(serialize({ s: Object.defineProperty({}, Symbol("k"), { value: 1 }) })).rejects.toMatchObject({ path: ".s[Symbol(k)]", message: expect.stringContaining("symbol") });
    const sticky = /a/g;
    sticky.exec("a");
    const subclasses = [new (class Registry extends Set {})(), new (class Bytes extends Uint8Array {})(2), new (class Buffer extends ArrayBuffer {})(2)];
    for (const built of [Object.assign(new Map(), { note: 1 }), Object.freeze(new Date(0)), sticky, ...subclasses])
      await expect(serialize({ built })).rejects.toMatchObject({ path: ".built", message: expect.stringContaining("with own properties, not extensible or of a subclass") });
    const loop: Record<string, unknown> = {};
    loop.self = { back: loop };
    Object.freeze(loop);
    await expect(serialize({ loop })).rejects.toMatchObject({ path: ".loop", message: expect.stringContaining("cycle") });
    // a cycle through ordinary objects only is kept, a frozen object outside it too
    const ring: Record<string, unknown> = { leaf: Object.freeze({ n: 1 }) };
    ring.self = ring;
    const back = await roundTrip(ring);
    expect([back.self === back, Object.isFrozen(back.leaf)]).toEqual([true, true]);
  });

  test("a plain object or array made in another realm (node:vm; Node's own under Jest's test environment) is saved as a plain one", async () => {
    const { inngest } = testClient();
    const handler = inngest.endpoint(async () => {
      const got = await step.run("load", () => runInNewContext(`({ items: [1, { n: 2 }], note: Object.freeze({ k: "v" }) })`));
      await step.sleep("nap", "1ms");
      return Response.json({ got, plain: Object.getPrototypeOf(got) === Object.prototype && Array.isArray(got.items), frozen: Object.isFrozen(got.note) });
    });
    const final = await follow(handler, await handler(req("/api/realm")));
    expect(await final.json()).toEqual({ got: { items: [1, { n: 2 }], note: { k: "v" } }, plain: true, frozen: true });
    // a prototype that only looks like one is still refused
    await expect(serialize({ o: Object.create(runInNewContext("Object.create(null)")) })).rejects.toMatchObject({ path: ".o", message: expect.stringContaining("prototype") });
  });

  test("errors keep name, message and cause; StepError stays a StepError; a built-in error type stays its type", async () => {
    const cause = new TypeError("inner");
    const back = await roundTrip({ e: new RangeError("outer", { cause }), s: new StepError("charge", cause) });
    expect(back.e).toBeInstanceOf(Error);
    expect(back.e.name).toBe("RangeError");
    expect(back.e.message).toBe("outer");
    expect((back.e.cause as Error).message).toBe("inner");
    expect(back.s).toBeInstanceOf(StepError);
    expect(back.s.stepId).toBe("charge");
    expect((back.s.cause as Error).name).toBe("TypeError");
    expect(back.e).toBeInstanceOf(RangeError);
    expect(back.s.cause).toBeInstanceOf(TypeError);
  });

  test("an error comes back as its class with exactly its own properties (an inherited message stays inherited); the stack is dropped", async () => {
    const bare = new Error();
    const coded = Object.assign(new TypeError("refused", { cause: "quota" }), { code: "E_QUOTA", name: "QuotaError" });
    const frozen = Object.freeze(new SyntaxError("fixed"));
    const many = new AggregateError([new URIError("u")], "several");
    const back = await roundTrip({ bare, coded, frozen, many, again: coded });
    expect([Object.getPrototypeOf(back.bare) === Error.prototype, Object.hasOwn(back.bare, "message"), back.bare.message, Object.hasOwn(back.bare, "stack")]).toEqual([true, false, "", false]);
    expect(Object.getPrototypeOf(back.coded)).toBe(TypeError.prototype);
    for (const key of ["message", "cause", "code", "name"]) expect(Object.getOwnPropertyDescriptor(back.coded, key), key).toEqual(Object.getOwnPropertyDescriptor(coded, key));
    expect(Object.keys(back.coded)).toEqual(["code", "name"]);
    expect(back.again).toBe(back.coded);
    expect([back.frozen instanceof SyntaxError, Object.isFrozen(back.frozen), back.frozen.message]).toEqual([true, true, "fixed"]);
    expect([back.many instanceof AggregateError, back.many.errors[0] instanceof URIError, (back.many.errors[0] as Error).message]).toEqual([true, true, "u"]);
    expect(Object.getOwnPropertyDescriptor(back.many, "errors")?.enumerable).toBe(false);
  });

  test("an error of another class is refused naming its path (it would come back as a built-in error), as is one with a getter or in a cycle", async () => {
    class PaymentError extends Error {}
    class Err extends RangeError {}
    Err.prototype.message = "custom";
    let calls = 0;
    await expect(serialize({ failure: new PaymentError("declined") })).rejects.toMatchObject({ path: ".failure", message: expect.stringContaining("an error of class PaymentError cannot be saved") });
    await expect(serialize({ list: [new Err()] })).rejects.toMatchObject({ path: ".list[0]", message: expect.stringContaining("an error of class Err") });
    // inside a saved error too: its cause
    await expect(serialize({ e: new Error("outer", { cause: new PaymentError("inner") }) })).rejects.toMatchObject({ path: ".e.cause", message: expect.stringContaining("PaymentError") });
    const lazy = Object.defineProperty(new Error("x"), "detail", { get: () => ++calls });
    await expect(serialize({ lazy })).rejects.toMatchObject({ path: ".lazy.detail", message: expect.stringContaining("accessor") });
    const loop = new Error("loop");
    loop.cause = { back: loop };
    await expect(serialize({ loop })).rejects.toMatchObject({ path: ".loop", message: expect.stringContaining("cycle") });
    expect(calls).toBe(0);
  });

  test("an error saved in the earlier form (name, message, cause) is still read", () => {
    const old = stringify(
      { e: Object.assign(new Error("declined"), { name: "PaymentError" }), t: new TypeError("t") },
      { Error: (v: unknown) => v instanceof Error && [v.name, v.message, undefined, undefined, undefined] },
    );
    const back = deserialize<{ e: Error; t: Error }>(old);
    expect([back.e.name, back.e.message, back.t instanceof TypeError, back.t.message]).toEqual(["PaymentError", "declined", true, "t"]);
  });

  test("Request and Response keep method, url, status, headers and body", async () => {
    const back = await roundTrip({
      req: new Request("https://x.test/a?b=1", { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" }),
      res: new Response(new Uint8Array([1, 2, 3]), { status: 418, statusText: "Teapot", headers: { "x-t": "1" } }),
      empty: new Response(null, { status: 204 }),
    });
    expect(back.req.method).toBe("POST");
    expect(back.req.url).toBe("https://x.test/a?b=1");
    expect(await back.req.text()).toBe("hello");
    expect(back.res.status).toBe(418);
    expect(back.res.statusText).toBe("Teapot");
    expect(back.res.headers.get("x-t")).toBe("1");
    expect([...new Uint8Array(await back.res.arrayBuffer())]).toEqual([1, 2, 3]);
    expect(back.empty.status).toBe(204);
  });

  test("a final body chunk that is a view into a larger buffer is stored as its own bytes", async () => {
    const { inngest, store } = testClient();
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const handler = inngest.endpoint(async () => {
      await step.run("a", () => 1);
      // one chunk, read as it is: the store gets a view at offset 100 of a 256-byte buffer
      return new Response(new ReadableStream({ start: (c) => (c.enqueue(all.subarray(100, 180)), c.close()) }));
    });
    const res = await handler(req("/api/view"));
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([...all.subarray(100, 180)]);
    const run = await store.getRun(res.headers.get("x-durable-run-id")!);
    const stored = deserialize<Response>(run!.result!);
    expect([...new Uint8Array(await stored.arrayBuffer())]).toEqual([...all.subarray(100, 180)]);
  });

  test("a step returns the deserialized copy on the first run too", async () => {
    const { inngest } = testClient();
    const original = { when: new Date(0), tags: new Set(["x"]) };
    const handler = inngest.endpoint(async () => {
      const got = await step.run("load", () => original);
      return Response.json({ same: got === original, isDate: got.when instanceof Date, hasTag: got.tags.has("x") });
    });
    expect(await (await handler(req("/api/copy"))).json()).toEqual({ same: false, isDate: true, hasTag: true });
  });

  test("a frozen step result is a frozen copy, on the first run too", async () => {
    const { inngest } = testClient();
    const original = Object.freeze({ plan: Object.freeze(["a", "b"]) });
    const handler = inngest.endpoint(async () => {
      const got = await step.run("load", () => original);
      return Response.json({ same: got === original, frozen: Object.isFrozen(got) && Object.isFrozen(got.plan), plan: got.plan });
    });
    expect(await (await handler(req("/api/frozen"))).json()).toEqual({ same: false, frozen: true, plan: ["a", "b"] });
  });

  test("an unserializable step result fails deterministically with the step's name", async () => {
    const { inngest } = testClient();
    class Conn {
      query() {}
    }
    const handler = inngest.endpoint(async () => {
      await step.run("connect", () => ({ conn: new Conn() }));
      return new Response("never");
    });
    const res = await handler(req("/api/conn"));
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toMatch(/Step "connect" .*returned a Conn instance .*at result\.conn/);
  });

  test("a Response kept in a local across a step (pending return) survives", async () => {
    const { inngest } = testClient();
    const handler = inngest.endpoint({
      durable: 1,
      id: "test/finally.ts#h",
      name: "h",
      version: "f1",
      live: { 1: ["pending"] },
      async resume($) {
        const L = $.locals as { pending: Response };
        switch ($.state) {
          case 0:
            L.pending = Response.json({ from: "try" }, { status: 201 });
            $.state = 1;
          case 1:
            await $.step.sleep("cleanup", "10ms");
            return L.pending;
        }
        throw new Error("bad state");
      },
    });
    const final = await follow(handler, await handler(req("/api/finally")));
    expect(final.status).toBe(201);
    expect(await final.json()).toEqual({ from: "try" });
  });
});
