/**
 * Concurrency limits end to end, through Request/Response, on SQLite: runs
 * past the limit are answered 303 and start in order as slots free; keys
 * isolate; a suspended run gives its slot up and waits for one to resume; a
 * queued run can be cancelled; bad options and key functions are clear errors.
 * (Several processes on Postgres: concurrency-processes.test.ts.)
 */
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { step } from "@durable-endpoints/runtime";
import { pricesMachine } from "./machines.js";
import { closeClients, deferred, follow, removeTestStores, req, sleep, storeKinds, testClient, until } from "./helpers.js";

afterEach(closeClients);
afterAll(removeTestStores);

/** Counts the step bodies executing at once, and the order they started in. */
function tracker() {
  let active = 0;
  const t = {
    max: 0,
    started: [] as string[],
    /** runs `body` as the work of run `id`, counted */
    async work(id: string, body: () => Promise<unknown>) {
      t.started.push(id);
      t.max = Math.max(t.max, ++active);
      try {
        await body();
      } finally {
        active -= 1;
      }
    },
  };
  return t;
}

const runIdOf = (res: Response) => res.headers.get("x-durable-run-id")!;

async function sqliteClient() {
  return testClient({ store: await storeKinds.sqlite() });
}

/** An endpoint under concurrency `limit` (SQLite) whose handler `handle`s the request's `?id=` with a tracker. */
async function trackedJobs(limit: number, handle: (id: string, t: ReturnType<typeof tracker>) => Promise<Response>) {
  const { inngest } = await sqliteClient();
  const t = tracker();
  const handler = inngest.endpoint((r: Request) => handle(new URL(r.url).searchParams.get("id")!, t), { concurrency: { limit } });
  return { inngest, handler, t };
}

/** An endpoint under `limit` whose run `?id=` works (tracked) in one step; the runs `holds` picks work until `gate` opens. */
async function gatedJobs(limit: number, holds: (id: string) => boolean = (id) => id === "0") {
  const gate = deferred();
  const { handler, t } = await trackedJobs(limit, async (id, t) => {
    await step.run("work", () => t.work(id, () => (holds(id) ? gate.promise : sleep(1))));
    return new Response(`done ${id}`);
  });
  return { handler, t, gate };
}

describe("concurrency limits (SQLite)", () => {
  test("limit 1: runs past it are answered 303, wait, and start in the order they came", async () => {
    const { handler, t, gate } = await gatedJobs(1);
    const first = handler(req("/api/job?id=0"));
    await until(() => t.started.length === 1, "the first run holds the slot");
    const queued: Response[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await handler(req(`/api/job?id=${i}`));
      expect(res.status).toBe(303);
      queued.push(res);
    }
    expect(t.started).toEqual(["0"]);
    gate.resolve();
    expect(await (await first).text()).toBe("done 0");
    const bodies = await Promise.all(queued.map(async (res) => (await follow(handler, res)).text()));
    expect(bodies).toEqual(["done 1", "done 2", "done 3", "done 4", "done 5"]);
    expect(t.started).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(t.max).toBe(1);
  });

  test("limit 2 with many requests at once: two execute, the others wait; all complete", async () => {
    const { handler, t, gate } = await gatedJobs(2, () => true);
    const answers: Response[] = [];
    const requests = Array.from({ length: 12 }, (_, i) => handler(req(`/api/job?id=${i}`)).then((res) => (answers.push(res), res)));
    await until(() => answers.length === 10, "ten requests were answered 303");
    expect(answers.every((res) => res.status === 303)).toBe(true);
    expect(t.started).toHaveLength(2);
    gate.resolve();
    const finals = await Promise.all(requests.map(async (res) => follow(handler, await res)));
    expect(finals.map((res) => res.status)).toEqual(Array(12).fill(200));
    expect(t.started).toHaveLength(12);
    expect(t.max).toBe(2);
  });

  test("keys isolate: a saturated key blocks none other", async () => {
    const { inngest } = await sqliteClient();
    const gate = deferred();
    let holding = false;
    const handler = inngest.endpoint(
      async (r: Request) => {
        const user = new URL(r.url).searchParams.get("user")!;
        await step.run("work", async () => {
          if (user !== "a" || holding) return;
          holding = true;
          await gate.promise;
        });
        return new Response(`done ${user}`);
      },
      { concurrency: { limit: 1, key: (r) => new URL(r.url).searchParams.get("user")! } },
    );
    const a1 = handler(req("/api/job?user=a"));
    await until(() => holding, "user a holds its slot");
    expect((await handler(req("/api/job?user=a"))).status).toBe(303);
    const b = await handler(req("/api/job?user=b"));
    expect(b.status).toBe(200);
    expect(await b.text()).toBe("done b");
    gate.resolve();
    expect((await a1).status).toBe(200);
  });

  test("a key function may be async and read the body; its key is stored with the run", async () => {
    const { inngest, store } = await sqliteClient();
    const handler = inngest.endpoint(async (r: Request) => Response.json(await r.json()), {
      concurrency: { limit: 3, key: async (r) => ((await r.json()) as { user: string }).user },
    });
    const res = await handler(req("/api/job", { method: "POST", body: JSON.stringify({ user: "u-7" }) }));
    // the handler still reads the body the key function read
    expect(await res.json()).toEqual({ user: "u-7" });
    expect((await store.getRun(runIdOf(res)))?.concurrency).toEqual({ key: "u-7", limit: 3 });
  });

  test("a suspended run gives its slot up, and waits for one to resume", async () => {
    const gate = deferred();
    const { inngest, handler, t } = await trackedJobs(1, async (id, t) => {
      if (id === "sleeper") {
        await step.run("before", () => t.work("sleeper:before", async () => {}));
        await step.waitForEvent("go", { event: "test/go", timeout: "1h" });
        await step.run("after", () => t.work("sleeper:after", async () => {}));
      } else {
        await step.run("work", () => t.work(id, () => gate.promise));
      }
      return new Response(`done ${id}`);
    });
    const sleeper = await handler(req("/api/job?id=sleeper"));
    expect(sleeper.status).toBe(303); // it suspended: the slot is free
    const holder = handler(req("/api/job?id=holder"));
    await until(() => t.started.includes("holder"), "the next run took the free slot");
    await inngest.send({ name: "test/go" });
    await sleep(200); // the sleeper is due now, but finds no slot
    expect(t.started).toEqual(["sleeper:before", "holder"]);
    gate.resolve();
    expect((await holder).status).toBe(200);
    expect(await (await follow(handler, sleeper)).text()).toBe("done sleeper");
    expect(t.started).toEqual(["sleeper:before", "holder", "sleeper:after"]);
    expect(t.max).toBe(1);
  });

  test("a queued run can be cancelled: DELETE on its poll URL; it never starts, and the next one moves up", async () => {
    const { handler, t, gate } = await gatedJobs(1);
    const first = handler(req("/api/job?id=0"));
    await until(() => t.started.length === 1, "the first run holds the slot");
    const cancelled = await handler(req("/api/job?id=1"));
    const next = await handler(req("/api/job?id=2"));
    const location = `http://localhost${cancelled.headers.get("location")}`;
    const del = await handler(new Request(location, { method: "DELETE" }));
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ runId: runIdOf(cancelled), status: "cancelled" });
    gate.resolve();
    await first;
    expect(await (await follow(handler, next)).text()).toBe("done 2");
    expect((await handler(new Request(location))).status).toBe(409);
    expect(t.started).toEqual(["0", "2"]);
  });
  test("a run producing a streamed response holds its slot until the body ends", async () => {
    const bodyEnds = deferred();
    const { handler, t } = await trackedJobs(1, async (id, t) => {
      await step.run("work", () => t.work(id, async () => {}));
      if (id !== "stream") return new Response(`done ${id}`);
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode("data: a\n\n"));
          await bodyEnds.promise;
          controller.enqueue(encoder.encode("data: b\n\n"));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const streaming = await handler(req("/api/job?id=stream"));
    expect(streaming.status).toBe(200);
    const next = await handler(req("/api/job?id=next"));
    expect(next.status).toBe(303);
    await sleep(100); // the stream is still produced: "next" must not start
    expect(t.started).toEqual(["stream"]);
    bodyEnds.resolve();
    expect(await streaming.text()).toContain("data: b");
    expect(await (await follow(handler, next)).text()).toBe("done next");
    expect(t.started).toEqual(["stream", "next"]);
  });

  test("the same Idempotency-Key on a queued run re-attaches to it (303), it runs once", async () => {
    const { handler, t, gate } = await gatedJobs(1);
    const first = handler(req("/api/job?id=0"));
    await until(() => t.started.length === 1, "the first run holds the slot");
    const key = { method: "POST", headers: { "idempotency-key": "queued-1" } };
    const queued = await handler(req("/api/job?id=1", key));
    expect(queued.status).toBe(303);
    const again = await handler(req("/api/job?id=1", key));
    expect(again.status).toBe(303);
    expect(runIdOf(again)).toBe(runIdOf(queued));
    gate.resolve();
    await first;
    expect(await (await follow(handler, again)).text()).toBe("done 1");
    expect(t.started).toEqual(["0", "1"]);
  });

  test("a compiled endpoint takes the options too", async () => {
    const { inngest, store } = await sqliteClient();
    const handler = inngest.endpoint(pricesMachine({ entries: 0, priced: [] }), { concurrency: { limit: 1, key: () => 7 } });
    const first = await handler(req("/api/prices?id=1"));
    expect((await store.getRun(runIdOf(first)))?.concurrency).toEqual({ key: "7", limit: 1 });
    expect(await (await follow(handler, first)).json()).toEqual({ total: 10 });
  });
});

describe("concurrency options and key functions", () => {
  test("an invalid limit or key is a clear error when the endpoint is created", () => {
    const { inngest } = testClient();
    const handler = async () => new Response("x");
    for (const limit of [0, -1, 1.5, Number.NaN, "2", null]) {
      expect(() => inngest.endpoint(handler, { concurrency: { limit: limit as number } })).toThrow(
        /^inngest\.endpoint\(\): concurrency\.limit must be a positive integer \(got /,
      );
    }
    expect(() => inngest.endpoint(handler, { concurrency: { limit: 1, key: "event.data.userId" as never } })).toThrow(
      /concurrency\.key must be a function of the request.*got "event\.data\.userId"; Inngest's key expressions are not supported/,
    );
    expect(() => inngest.endpoint(handler, { concurrency: 3 as never })).toThrow(/concurrency must be an object such as \{ limit: 2/);
    expect(() => inngest.endpoint(handler, { concurrency: { limit: 1 } })).not.toThrow();
  });

  test("a key function that throws or returns no key: 500 naming the endpoint (the detail in development), and no run", async () => {
    const { inngest, store, logs } = testClient();
    const throwing = inngest.endpoint(async () => new Response("x"), {
      concurrency: { limit: 1, key: () => { throw new Error("no user header"); } },
    });
    const res = await throwing(req("/api/a"));
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toBe('The concurrency key function of endpoint "test-app:/api/a" threw: no user header');
    expect(logs.some((l) => l.level === "error" && l.message.includes("no user header"))).toBe(true);
    expect(await store.listRuns()).toEqual([]);

    const returnsNothing = inngest.endpoint(async () => new Response("x"), { concurrency: { limit: 1, key: () => undefined as never } });
    const res2 = await returnsNothing(req("/api/b"));
    expect(res2.status).toBe(500);
    expect((await res2.json()).error.message).toMatch(/returned undefined; it must return a string or a number/);
  });
});
