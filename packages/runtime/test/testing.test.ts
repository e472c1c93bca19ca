/**
 * `@durable-endpoints/runtime/testing`: a client on an injected clock keeps
 * every time and timer on it (a one-hour sleep ends when that clock says so,
 * not on the wall clock), and an endpoint function tells what it was made from.
 */

import { Inngest, step, type InngestOptions } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { memoryStore } from "@durable-endpoints/runtime/memory";
import { endpointSource, withClock, type Clock, type Timer } from "@durable-endpoints/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { pricesMachine } from "./machines.js";

/** A clock that moves only when told; due timers run on `moveTo`. */
function manualClock(start: number) {
  let now = start;
  const timers = new Map<object, { at: number; every: number | null; callback: () => void }>();
  const add = (callback: () => void, ms: number, every: number | null): Timer => {
    const timer = {};
    timers.set(timer, { at: now + Math.max(0, ms), every, callback });
    return timer as Timer;
  };
  const clock: Clock = {
    now: () => now,
    setTimeout: (callback, ms) => add(callback, ms, null),
    setInterval: (callback, ms) => add(callback, ms, Math.max(1, ms)),
    clearTimer: (timer) => void timers.delete(timer),
    hold: () => () => {},
  };
  return {
    clock,
    /** repeating timers armed now */
    intervals: () => [...timers.values()].filter((entry) => entry.every !== null).length,
    moveTo(time: number) {
      now = time;
      for (const [timer, entry] of [...timers]) {
        if (entry.at > now) continue;
        if (entry.every === null) timers.delete(timer);
        else entry.at = now + entry.every;
        entry.callback();
      }
    },
  };
}

const silent = { info() {}, warn() {}, error() {} };
const clients: Inngest[] = [];
afterEach(async () => void (await Promise.all(clients.splice(0).map((c) => c.close()))));

function client(options: Partial<InngestOptions> & { clock: Clock }) {
  const inngest = new Inngest(withClock({ id: "clocked", endpointAdapter, logger: silent, ...options }, options.clock));
  clients.push(inngest);
  return inngest;
}

const START = Date.UTC(2030, 0, 1);
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("runtime/testing", () => {
  it("a client built withClock keeps run times, checkpoints and timers on that clock", async () => {
    const { clock, moveTo } = manualClock(START);
    const store = memoryStore();
    const inngest = client({ clock, store, pollMs: 0 });
    const handler = inngest.endpoint(async () => {
      await step.sleep("nap", "1h");
      return Response.json({ woke: true });
    });

    const first = await handler(new Request("http://localhost/nap"));
    expect(first.status).toBe(303);
    const [waiting] = await store.listRuns();
    expect(waiting).toMatchObject({ status: "waiting", createdAt: START, updatedAt: START, wakeAt: START + 3_600_000 });

    moveTo(START + 3_600_000 - 1);
    await settle();
    expect((await store.getRun(waiting!.id))!.status).toBe("waiting");

    moveTo(START + 3_600_000);
    await settle();
    const done = (await store.getRun(waiting!.id))!;
    expect(done).toMatchObject({ status: "completed", updatedAt: START + 3_600_000 });
  });

  it("executions in flight share one lease-renewal timer, and every one's lease is renewed while its step outlasts a third of it", async () => {
    const { clock, moveTo, intervals } = manualClock(START);
    const store = memoryStore();
    const inngest = client({ clock, store, leaseMs: 30_000 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handler = inngest.endpoint(async () => {
      await step.run("slow", () => released);
      return new Response("done");
    });
    const first = handler(new Request("http://localhost/slow"));
    await settle();
    const armed = intervals();
    const others = Array.from({ length: 4 }, () => handler(new Request("http://localhost/slow")));
    await settle();
    expect(intervals()).toBe(armed);

    moveTo(START + 15_000);
    await settle();
    const runs = await store.listRuns();
    expect(runs).toHaveLength(5);
    for (const run of runs) expect(run.leaseExpiresAt).toBe(START + 15_000 + 30_000);
    release();
    for (const res of await Promise.all([first, ...others])) expect(await res.text()).toBe("done");
  });

  it("endpointSource gives the handler or machine behind an endpoint function, with its client's options", () => {
    const inngest = client({ clock: manualClock(START).clock, retries: 1 });
    const plain = async () => new Response("ok");
    const machine = pricesMachine({ entries: 0, priced: [] });
    expect(endpointSource(inngest.endpoint(plain))).toMatchObject({ handler: plain, options: { id: "clocked", retries: 1 } });
    expect(endpointSource(inngest.endpoint(machine))!.handler).toBe(machine);
    expect(endpointSource(plain)).toBeNull();
    expect(endpointSource(undefined)).toBeNull();
  });
});
