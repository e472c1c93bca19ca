/**
 * Store conformance, concurrency limits (`RunConcurrency` in src/store.ts):
 * a run holds a slot of its endpoint's key while it holds a live lease; every
 * lease grant respects the limit and the key's queue order; expiry, release
 * and cancellation free slots. Called by `describeStoreConformance`.
 */
import { describe, expect, it, type TestFunction } from "vitest";
import type { RunRecord, Store } from "../../src/store.js";

/**
 * Until a lease of `ms` taken now has lapsed. A later `now` passed in is not enough: a shared store
 * (Postgres) times leases by its own clock, so time must really pass.
 */
const lapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms + 50));

export interface ConcurrencyCaseHelpers {
  setup(): Promise<{ store: Store; another(): Promise<Store> }>;
  insert(store: Store, overrides?: Partial<RunRecord>): Promise<RunRecord>;
  itShared: (name: string, fn: TestFunction) => void;
  nextDue(store: Store): { promise: Promise<void>; unsubscribe: () => void };
  settlesWithin(promise: Promise<unknown>, ms: number): Promise<"changed" | "pending">;
  listening(store: Store): Promise<void>;
  endpoint: string;
  ttl: number;
}

export function describeConcurrencyCases({ setup, insert, itShared, nextDue, settlesWithin, listening, endpoint, ttl }: ConcurrencyCaseHelpers) {
  describe("concurrency limits", () => {
    const limited = (key: string, limit: number, at: number, extra: Partial<RunRecord> = {}): Partial<RunRecord> => ({
      concurrency: { key, limit },
      createdAt: at,
      updatedAt: at,
      leaseExpiresAt: at + ttl,
      ...extra,
    });
    /** Leases held now among `ids`. */
    const holders = async (store: Store, ids: string[], now: number) => {
      const runs = await Promise.all(ids.map((id) => store.getRun(id)));
      return runs.filter((r) => r !== null && r.leaseOwner !== null && (r.leaseExpiresAt ?? 0) > now).map((r) => r!.id);
    };
    /** Finishes a run (its last checkpoint releases the lease). */
    const finish = (store: Store, run: RunRecord) =>
      store.checkpoint({ runId: run.id, fence: run.fence, run: { status: "completed", result: "done" }, releaseLease: true });

    it("createRun grants a slot while one is free, else inserts the run queued: waiting, due at its creation, no lease", async () => {
      const { store } = await setup();
      const now = Date.now();
      const a = await insert(store, limited("user-1", 2, now));
      const b = await insert(store, limited("user-1", 2, now + 1));
      const c = await insert(store, limited("user-1", 2, now + 2));
      expect(a).toMatchObject({ status: "running", leaseOwner: "owner-a", wakeAt: null, concurrency: { key: "user-1", limit: 2 } });
      expect(b).toMatchObject({ status: "running", leaseOwner: "owner-a" });
      expect(c).toMatchObject({ status: "waiting", wakeAt: now + 2, leaseOwner: null, leaseExpiresAt: null, fence: 1, concurrency: { key: "user-1", limit: 2 } });
      expect(await store.getRun(c.id)).toEqual(c);
      // keys isolate, per endpoint; runs without a limit are never queued
      expect(await insert(store, limited("user-2", 2, now + 3))).toMatchObject({ status: "running", leaseOwner: "owner-a" });
      expect(await insert(store, limited("user-1", 2, now + 3, { endpoint: "app:/other" }))).toMatchObject({ leaseOwner: "owner-a" });
      expect(await insert(store, { createdAt: now + 3 })).toMatchObject({ status: "running", leaseOwner: "owner-a", concurrency: null });
    });

    it("a queued run is leased in queue order once a slot frees: acquireLease and claimDue skip nobody", async () => {
      const { store } = await setup();
      const now = Date.now();
      const holder = await insert(store, limited("k", 1, now));
      const first = await insert(store, limited("k", 1, now + 1));
      const second = await insert(store, limited("k", 1, now + 2));
      expect(await store.acquireLease(first.id, "owner-b", ttl, now + 3)).toBeNull();
      expect(await store.claimDue([endpoint], "owner-b", ttl, now + 3, 10)).toEqual([]);

      expect(await finish(store, holder)).toBe(true);
      // the slot is the queue head's: the run behind it gets nothing, not even through acquireLease
      expect(await store.acquireLease(second.id, "owner-b", ttl, now + 4)).toBeNull();
      const claimed = await store.claimDue([endpoint], "owner-b", ttl, now + 4, 10);
      expect(claimed.map((r) => r.id)).toEqual([first.id]);
      expect(claimed[0]).toMatchObject({ leaseOwner: "owner-b", fence: 2 });
      expect(await store.claimDue([endpoint], "owner-c", ttl, now + 4, 10)).toEqual([]);

      expect(await finish(store, claimed[0]!)).toBe(true);
      expect(await store.acquireLease(second.id, "owner-c", ttl, now + 5)).toMatchObject({ id: second.id, leaseOwner: "owner-c", fence: 2 });
    });

    it("claimDue grants as many queue heads as there are free slots, and a saturated key blocks no other", async () => {
      const { store } = await setup();
      const now = Date.now();
      const queued: RunRecord[] = [];
      for (let i = 0; i < 5; i++) queued.push(await insert(store, limited("k", 2, now, { status: "waiting", wakeAt: now + i, leaseOwner: null, leaseExpiresAt: null })));
      // a small batch first: the queue heads, in order
      const one = await store.claimDue([endpoint], "owner-b", ttl, now + 20, 1);
      expect(one.map((r) => r.id)).toEqual([queued[0]!.id]);
      const other = await insert(store, limited("other", 1, now, { status: "waiting", wakeAt: now + 10, leaseOwner: null, leaseExpiresAt: null }));
      const plain = await insert(store, { status: "waiting", wakeAt: now + 10, leaseOwner: null, leaseExpiresAt: null });
      const rest = await store.claimDue([endpoint], "owner-b", ttl, now + 20, 10);
      expect(rest.map((r) => r.id).sort()).toEqual([queued[1]!.id, other.id, plain.id].sort());
      expect(await holders(store, queued.map((r) => r.id), now + 20)).toEqual([queued[0]!.id, queued[1]!.id]);
    });

    it("a slot held by a lease that expired is free: the queue head takes it, and the late holder cannot renew into it", async () => {
      const { store } = await setup();
      const now = Date.now();
      const holder = await insert(store, limited("k", 1, now, { leaseExpiresAt: now + 100 }));
      const waiting = await insert(store, limited("k", 1, now + 1));
      expect(waiting.leaseOwner).toBeNull();
      // a live lease renews as always
      expect(await store.renewLease(holder.id, holder.fence, 100, now + 50)).toBe(true);
      // expired: the holder died; its run is first in the queue (it was executing), so it is claimed first
      await lapse(100);
      const claimed = await store.claimDue([endpoint], "owner-b", ttl, now + 500, 10);
      expect(claimed.map((r) => r.id)).toEqual([holder.id]);
      expect(await finish(store, claimed[0]!)).toBe(true);
      const next = await store.claimDue([endpoint], "owner-b", ttl, now + 600, 10);
      expect(next.map((r) => r.id)).toEqual([waiting.id]);

      // a holder resumed from a sleep (due at +50) whose lease lapsed: a run queued before it (+10) takes the slot…
      const late = await insert(store, limited("late", 1, now, { status: "waiting", wakeAt: now + 50, leaseExpiresAt: now + 100 }));
      const early = await insert(store, limited("late", 1, now, { status: "waiting", wakeAt: now + 10, leaseOwner: null, leaseExpiresAt: null }));
      await lapse(100);
      expect(await store.acquireLease(early.id, "owner-b", ttl, now + 500)).toMatchObject({ leaseOwner: "owner-b" });
      // …and the late holder's renewal finds no free slot
      expect(await store.renewLease(late.id, late.fence, ttl, now + 600)).toBe(false);
      expect(await holders(store, [late.id, early.id], now + 600)).toEqual([early.id]);
    });

    it("cancelling the holder or a queued run frees its place, and signals due work", async () => {
      const { store } = await setup();
      const now = Date.now();
      const holder = await insert(store, limited("k", 1, now));
      const first = await insert(store, limited("k", 1, now + 1));
      const second = await insert(store, limited("k", 1, now + 2));
      await listening(store);
      let due = nextDue(store);
      expect((await store.cancelRun(first.id, "cancelled", now + 3))?.changed).toBe(true);
      expect(await settlesWithin(due.promise, 2000)).toBe("changed");
      expect(await store.acquireLease(second.id, "owner-b", ttl, now + 3)).toBeNull(); // the holder still runs
      due = nextDue(store);
      expect((await store.cancelRun(holder.id, "cancelled", now + 4))?.changed).toBe(true);
      expect(await settlesWithin(due.promise, 2000)).toBe("changed");
      expect(await store.acquireLease(second.id, "owner-b", ttl, now + 4)).toMatchObject({ leaseOwner: "owner-b" });
    });

    it("a run inserted queued signals due work (a slot freed meanwhile is given), and so does a limited run that finishes", async () => {
      const { store } = await setup();
      const now = Date.now();
      const holder = await insert(store, limited("k", 1, now));
      await listening(store);
      const queued = nextDue(store);
      await insert(store, limited("k", 1, now + 1));
      expect(await settlesWithin(queued.promise, 2000)).toBe("changed");
      const due = nextDue(store);
      expect(await finish(store, holder)).toBe(true);
      expect(await settlesWithin(due.promise, 2000)).toBe("changed");
      due.unsubscribe();
    });

    itShared("instances granting slots at once never exceed the limit", async () => {
      const { store, another } = await setup();
      const other = await another();
      const now = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        ids.push((await insert(store, limited("k", 3, now, { status: "waiting", wakeAt: now + i, leaseOwner: null, leaseExpiresAt: null }))).id);
      }
      const at = now + 100;
      const grants = await Promise.all([
        store.claimDue([endpoint], "a", ttl, at, 2),
        other.claimDue([endpoint], "b", ttl, at, 2),
        ...ids.map((id, i) => (i % 2 ? store : other).acquireLease(id, `c${i}`, ttl, at)),
        store.createRun({ ...(await store.getRun(ids[0]!))!, id: `${ids[0]}-new`, status: "running", wakeAt: null, leaseOwner: "d", leaseExpiresAt: at + ttl, createdAt: at }),
      ]);
      expect(grants.length).toBeGreaterThan(0);
      const held = await holders(store, [...ids, `${ids[0]}-new`], at);
      expect(held).toEqual(ids.slice(0, 3));
    });
  });
}
