/**
 * Hand-written MachineDefinitions in the exact shape machine.ts documents
 * (what the transform emits), used by the compiled-mode tests.
 */

import type { MachineDefinition } from "@durable-endpoints/runtime";

type Locals = Record<string, any>;

/**
 * What the runs below wait for: an event, sent by the test once the run has suspended. Not a short sleep: one
 * already past when it is checked finishes inline (a process stalled that long answers 200, never resuming from
 * the store), so a test that needs the run to suspend and resume waits for this instead.
 */
export const GO = { name: "test/go" };
export const WAIT_FOR_GO = { event: GO.name, timeout: "1h" };

export interface PricesOptions {
  version?: string;
  /** called in each "price" step before it records its id */
  beforePrice?: (id: string) => void;
  /** end with a wait for {@link GO} (the run always suspends there) instead of the 30 ms sleep */
  waitForGo?: boolean;
}

/**
 * The handler of machine.ts's example, lowered by hand (fewer states than the transform emits, numbered out of
 * case order, which the runtime allows): a loop of "price" steps, then a sleep (or a wait for GO). `probe`
 * counts what really ran.
 */
export function pricesMachine(probe: { entries: number; priced: string[] }, { version = "v1", beforePrice, waitForGo = false }: PricesOptions = {}): MachineDefinition {
  return {
    durable: 1,
    id: "test/prices.ts#handler",
    name: "handler",
    version,
    live: { 1: ["ids", "total", "i"], 2: ["total"] },
    steps: [
      { id: "price", kind: "run", line: 6, state: 1 },
      waitForGo ? { id: "go", kind: "waitForEvent", line: 9, state: 2 } : { id: "cool-down", kind: "sleep", line: 9, state: 2 },
    ],
    async resume($, req) {
      const L = $.locals as Locals;
      for (;;)
        switch ($.state) {
          case 0:
            probe.entries++;
            L.ids = new URL(req.url).searchParams.getAll("id");
            L.total = 0;
            L.i = 0;
          case 3:
            if (L.i >= L.ids.length) {
              $.state = 2;
              continue;
            }
            $.state = 1;
          case 1:
            L.total += (
              await $.step.run("price", () => {
                const id = L.ids[L.i];
                beforePrice?.(id);
                probe.priced.push(id);
                return { price: Number(id) * 10 };
              })
            ).price;
            L.i++;
            $.state = 3;
            continue;
          case 2:
            if (waitForGo) await $.step.waitForEvent("go", WAIT_FOR_GO);
            else await $.step.sleep("cool-down", "30ms");
            return Response.json({ total: L.total });
        }
    },
  };
}

/** `const [a, b] = await Promise.all([step.run("a"), step.run("b")]); await step.waitForEvent("go", …); return a + b` */
export function parallelMachine(ran: string[]): MachineDefinition {
  return {
    durable: 1,
    id: "test/parallel.ts#handler",
    name: "handler",
    version: "p1",
    live: { 1: [], 2: ["sum"] },
    async resume($) {
      const L = $.locals as Locals;
      for (;;)
        switch ($.state) {
          case 0:
            $.state = 1;
          case 1: {
            const [a, b] = await Promise.all([
              $.step.run("a", async () => (ran.push("a"), 1)),
              $.step.run("b", async () => (ran.push("b"), 2)),
            ]);
            L.sum = a + b;
            $.state = 2;
          }
          case 2:
            await $.step.waitForEvent("go", WAIT_FOR_GO);
            return Response.json({ sum: L.sum });
        }
    },
  };
}

/** A local holding a class instance with methods is live across a step: the checkpoint must fail clearly. */
export function unsaveableMachine(): MachineDefinition {
  class Socket {
    write() {}
  }
  return {
    durable: 1,
    id: "test/unsaveable.ts#handler",
    name: "handler",
    version: "u1",
    live: { 1: ["sock"] },
    steps: [{ id: "send", kind: "run", line: 4, state: 1 }],
    async resume($) {
      const L = $.locals as Locals;
      switch ($.state) {
        case 0:
          L.sock = new Socket();
          $.state = 1;
        case 1:
          await $.step.run("send", () => "sent");
          return new Response("unreachable");
      }
      throw new Error("bad state");
    },
  };
}

/**
 * machine.ts rule 4, `recreate`: `sock` (made from `key`) cannot be serialized, so a checkpoint leaves it out and
 * saves `key` instead; the top of `resume` makes it again where it is missing. `probe.made` counts the sockets made.
 */
export function recreatingMachine(probe: { made: number }): MachineDefinition {
  class Socket {
    constructor(readonly key: string) {
      probe.made++;
    }
    send(message: string) {
      return `${this.key.length}:${message}`;
    }
  }
  return {
    durable: 1,
    id: "test/recreate.ts#handler",
    name: "handler",
    version: "r1",
    live: { 1: ["sock"], 2: ["sock", "a"] },
    recreate: { key: [], sock: ["key"] },
    steps: [
      { id: "a", kind: "run", line: 3, state: 1 },
      { id: "go", kind: "waitForEvent", line: 4, state: 2 },
    ],
    async resume($) {
      const L = $.locals as Locals;
      if (!("key" in L) && ($.state === 1 || $.state === 2) && !("sock" in L)) L.key = "k-" + "made";
      if (!("sock" in L) && ($.state === 1 || $.state === 2)) L.sock = new Socket(L.key as string);
      const sock = () => L.sock as Socket;
      switch ($.state) {
        case 0:
          L.key = "k-" + "made";
          L.sock = new Socket(L.key as string);
          $.state = 1;
        case 1:
          L.a = await $.step.run("a", () => sock().send("a"));
          $.state = 2;
        case 2:
          await $.step.waitForEvent("go", WAIT_FOR_GO);
          return Response.json({ a: L.a, b: sock().send("b") });
      }
      throw new Error("bad state");
    },
  };
}
