import { stringify } from "devalue";
import { afterEach, describe, expect, test } from "vitest";
import { deserialize, serialize, step, StepError } from "@durable-endpoints/runtime";
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
    // an array that only looks like one (not frozen) is plain data
    expect(await roundTrip(Object.assign(["a"], { raw: ["a"] }))).toEqual(["a"]);
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
