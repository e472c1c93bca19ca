/**
 * The streamed-response part of the store contract (beginStream, appendStream,
 * getStream, readStream), run by `describeStoreConformance` for every store.
 */
import { describe, expect, it } from "vitest";
import type { RunRecord, Store } from "../../src/store.js";

export interface StreamConformanceContext {
  setup(): Promise<{ store: Store; another: () => Promise<Store> }>;
  insert(store: Store, overrides?: Partial<RunRecord>): Promise<RunRecord>;
  /** Settles to "changed" if `promise` resolves within `ms`, else "pending". */
  settlesWithin(promise: Promise<unknown>, ms: number): Promise<"changed" | "pending">;
  /** Gives a store time to start listening (a store may wake waiters once when it does). */
  listening(store: Store): Promise<void>;
  shared: boolean;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);
const joined = (chunks: { data: Uint8Array }[]) => Buffer.concat(chunks.map((c) => c.data)).toString();

export function describeStreamConformance({ setup, insert, settlesWithin, listening, shared }: StreamConformanceContext) {
  const itShared = shared ? it : it.skip;

  describe("streamed responses", () => {
    it("beginStream starts generation 1 with the head and no bytes; a stale fence writes nothing", async () => {
      const { store } = await setup();
      const run = await insert(store, { fence: 2 });
      expect(await store.getStream(run.id)).toBeNull();
      expect(await store.beginStream(run.id, 1, "stale head")).toBeNull();
      expect(await store.getStream(run.id)).toBeNull();
      expect(await store.beginStream(run.id, 2, "head")).toBe(1);
      expect(await store.getStream(run.id)).toEqual({ runId: run.id, generation: 1, head: "head", size: 0 });
      expect(await store.readStream(run.id, 1, 0, 10)).toEqual([]);
      expect(await store.beginStream("no-such-run", 1, "head")).toBeNull();
    });

    it("appendStream appends at the stream's size only, under the current fence and generation", async () => {
      const { store } = await setup();
      const run = await insert(store);
      const generation = (await store.beginStream(run.id, 1, "h"))!;
      expect(await store.appendStream(run.id, 1, generation, 0, text("hello "))).toBe(true);
      expect(await store.appendStream(run.id, 1, generation, 0, text("again"))).toBe(false); // not at the end
      expect(await store.appendStream(run.id, 1, generation, 7, text("gap"))).toBe(false);
      expect(await store.appendStream(run.id, 0, generation, 6, text("stale"))).toBe(false);
      expect(await store.appendStream(run.id, 1, generation + 1, 6, text("future"))).toBe(false);
      expect(await store.appendStream(run.id, 1, generation, 6, text("world"))).toBe(true);
      expect(await store.getStream(run.id)).toMatchObject({ generation, size: 11 });
      expect(joined(await store.readStream(run.id, generation, 0, 10))).toBe("hello world");
    });

    it("readStream starts at the chunk holding `from`, returns at most `limit` chunks, nothing past the end", async () => {
      const { store } = await setup();
      const run = await insert(store);
      const g = (await store.beginStream(run.id, 1, "h"))!;
      for (const [offset, part] of [[0, "aaa"], [3, "bb"], [5, "cccc"], [9, "d"]] as const) {
        expect(await store.appendStream(run.id, 1, g, offset, text(part))).toBe(true);
      }
      const read = async (from: number, limit: number) =>
        (await store.readStream(run.id, g, from, limit)).map((c) => [c.offset, Buffer.from(c.data).toString()]);
      expect(await read(0, 10)).toEqual([[0, "aaa"], [3, "bb"], [5, "cccc"], [9, "d"]]);
      expect(await read(4, 2)).toEqual([[3, "bb"], [5, "cccc"]]);
      expect(await read(5, 1)).toEqual([[5, "cccc"]]);
      expect(await read(9, 5)).toEqual([[9, "d"]]);
      expect(await read(10, 5)).toEqual([]);
      expect(await read(1000, 5)).toEqual([]);
      expect(await store.readStream(run.id, g + 1, 0, 5)).toEqual([]);
      expect(await store.readStream("no-such-run", 1, 0, 5)).toEqual([]);
    });

    it("keeps bytes exactly: every byte value, large chunks", async () => {
      const { store } = await setup();
      const run = await insert(store);
      const g = (await store.beginStream(run.id, 1, "h"))!;
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7919) % 251);
      expect(await store.appendStream(run.id, 1, g, 0, all)).toBe(true);
      expect(await store.appendStream(run.id, 1, g, 256, large.subarray(1, 1 + 512 * 1024))).toBe(true); // a view at an offset
      const chunks = await store.readStream(run.id, g, 0, 10);
      expect(chunks.map((c) => c.offset)).toEqual([0, 256]);
      expect(Buffer.from(chunks[0]!.data).equals(Buffer.from(all))).toBe(true);
      expect(Buffer.from(chunks[1]!.data).equals(Buffer.from(large.subarray(1, 1 + 512 * 1024)))).toBe(true);
      expect(chunks[1]!.data).toBeInstanceOf(Uint8Array);
    });

    it("a new beginStream is the next generation: the old chunks are gone, appends start at 0 again", async () => {
      const { store } = await setup();
      // its lease has lapsed (its holder stopped renewing)
      const run = await insert(store, { leaseExpiresAt: Date.now() - 1 });
      expect(await store.beginStream(run.id, 1, "first")).toBe(1);
      expect(await store.appendStream(run.id, 1, 1, 0, text("old bytes"))).toBe(true);
      // another execution took the run over (fence 2) and streams again
      const taken = await store.acquireLease(run.id, "owner-b", 30_000, Date.now());
      expect(taken!.fence).toBe(2);
      expect(await store.appendStream(run.id, 1, 1, 9, text("late"))).toBe(false);
      expect(await store.beginStream(run.id, 2, "second")).toBe(2);
      expect(await store.getStream(run.id)).toEqual({ runId: run.id, generation: 2, head: "second", size: 0 });
      expect(await store.readStream(run.id, 1, 0, 10)).toEqual([]);
      expect(await store.appendStream(run.id, 1, 1, 0, text("stale"))).toBe(false);
      expect(await store.appendStream(run.id, 2, 2, 0, text("new"))).toBe(true);
      expect(joined(await store.readStream(run.id, 2, 0, 10))).toBe("new");
    });

    it("waitForChange wakes on beginStream and on every appendStream, not on a refused append", async () => {
      const { store } = await setup();
      const run = await insert(store);
      await listening(store);
      let changed = store.waitForChange(run.id, new AbortController().signal);
      const g = (await store.beginStream(run.id, 1, "h"))!;
      expect(await settlesWithin(changed, 2000)).toBe("changed");
      changed = store.waitForChange(run.id, new AbortController().signal);
      await store.appendStream(run.id, 1, g, 0, bytes(1));
      expect(await settlesWithin(changed, 2000)).toBe("changed");
      changed = store.waitForChange(run.id, new AbortController().signal);
      expect(await store.appendStream(run.id, 1, g, 0, bytes(2))).toBe(false);
      expect(await settlesWithin(changed, 300)).toBe("pending");
    });

    itShared("another instance sees the stream and is woken by its appends", async () => {
      const { store, another } = await setup();
      const follower = await another();
      const run = await insert(store);
      await listening(follower);
      let changed = follower.waitForChange(run.id, new AbortController().signal);
      const g = (await store.beginStream(run.id, 1, "h"))!;
      expect(await settlesWithin(changed, 5000)).toBe("changed");
      expect(await follower.getStream(run.id)).toMatchObject({ generation: g, head: "h", size: 0 });
      changed = follower.waitForChange(run.id, new AbortController().signal);
      await store.appendStream(run.id, 1, g, 0, text("live"));
      expect(await settlesWithin(changed, 5000)).toBe("changed");
      expect(joined(await follower.readStream(run.id, g, 0, 10))).toBe("live");
    });

    itShared("streams survive close: a new instance reads them", async () => {
      const { store, another } = await setup();
      const run = await insert(store);
      const g = (await store.beginStream(run.id, 1, "h"))!;
      await store.appendStream(run.id, 1, g, 0, text("kept"));
      await store.close();
      const reopened = await another();
      expect(await reopened.getStream(run.id)).toMatchObject({ generation: g, size: 4 });
      expect(joined(await reopened.readStream(run.id, g, 0, 10))).toBe("kept");
    });
  });
}
