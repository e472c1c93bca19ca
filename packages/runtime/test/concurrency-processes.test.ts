/**
 * Concurrency limits across processes sharing one Postgres store (a schema of its own): three app
 * processes never run more of a key's runs at once than its limit, queued runs start in the order
 * they came, keys isolate, and a process SIGKILLed while holding a slot frees it once its lease
 * lapses. What executed when is read from one O_APPEND log the processes share (fixtures/limited-server.mjs).
 * Runs the built dist/ (build the runtime first).
 */
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startApp, type RunningServer } from "../../../test/support/processes.mjs";
import { postgresUrl, testPostgresUrl } from "../../../test/support/postgres.mjs";
import { removeTestStores, requireBuiltRuntime, testSchema, until } from "./helpers.js";

const fixture = fileURLToPath(new URL("./fixtures/limited-server.mjs", import.meta.url));
/** Long enough that a loaded machine renews every lease in time (a lapsed lease frees its slot, by design)… */
const LEASE_MS = 5000;
/** …and short, for the case where a lease must lapse. */
const SHORT_LEASE_MS = 600;

let dir: string;
let tests = 0;
const servers: RunningServer[] = [];

beforeAll(() => {
  requireBuiltRuntime();
  dir = mkdtempSync(join(tmpdir(), "durable-limits-"));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.kill("SIGKILL")));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await removeTestStores();
});

/** A fresh schema, log and gate directory; `start()` starts one more process on them. */
function cluster(leaseMs = LEASE_MS) {
  const n = ++tests;
  const storeUrl = postgresUrl(testPostgresUrl(), { schema: testSchema() });
  const log = join(dir, `log-${n}`);
  const gates = mkdtempSync(join(dir, `gates-${n}-`));
  writeFileSync(log, "");
  const start = async (env: Record<string, string> = {}) => {
    const server = await startApp(fixture, {
      env: { DURABLE_STORE_URL: storeUrl, DURABLE_LEASE_MS: String(leaseMs), LOG: log, GATES: gates, ...env },
    });
    servers.push(server);
    return server;
  };
  /** `start|end <id> <pid>` lines, in the order they were written */
  const events = () =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [event, id, pid] = line.split(" ");
        return { event: event as "start" | "end", id: id!, pid: Number(pid) };
      });
  return {
    start,
    events,
    started: () => events().filter((e) => e.event === "start").map((e) => e.id),
    /** the most step bodies executing at once (a run executed again after a crash counts once) */
    maxConcurrent: () => {
      const active = new Set<string>();
      let max = 0;
      for (const { event, id } of events()) {
        if (event === "start") active.add(id);
        else active.delete(id);
        max = Math.max(max, active.size);
      }
      return max;
    },
    hold: (...ids: string[]) => ids.forEach((id) => writeFileSync(join(gates, id), "")),
    release: (...ids: string[]) => ids.forEach((id) => unlinkSync(join(gates, id))),
  };
}

/** Follows 303/202 to the final Response, each poll on the next of `servers` (any instance serves any run). */
async function settle(first: Response, servers: RunningServer[]): Promise<Response> {
  let res = first;
  for (let i = 0; res.status === 303 || res.status === 202; i++) {
    if (i > 200) throw new Error("the run did not finish");
    res = await fetch(`${servers[i % servers.length]!.url}${res.headers.get("location")}`, { redirect: "manual" });
  }
  return res;
}

const request = (server: RunningServer, path: string) => fetch(`${server.url}${path}`, { method: "POST", redirect: "manual" });

// processes start, connect and migrate: slow on a loaded machine
describe("concurrency limits across three processes on Postgres", { timeout: 120_000 }, () => {
  test("limit 1: one run executes at a time across all three; the queued ones start in the order they came", async () => {
    const c = cluster();
    const apps = await Promise.all([c.start(), c.start(), c.start()]);
    c.hold("0");
    const first = request(apps[0]!, "/one?id=0");
    await until(() => c.started().length === 1, "run 0 holds the slot");
    const queued: Response[] = [];
    for (let i = 1; i <= 8; i++) {
      const res = await request(apps[i % 3]!, `/one?id=${i}`);
      expect(res.status).toBe(303);
      queued.push(res);
    }
    expect(c.started()).toEqual(["0"]);
    c.release("0");
    const finals = await Promise.all([first, ...queued].map(async (res, i) => settle(await res, apps.slice(i % 3).concat(apps.slice(0, i % 3)))));
    expect(await Promise.all(finals.map((res) => res.json()))).toEqual(Array.from({ length: 9 }, (_, i) => ({ id: String(i) })));
    expect(c.started()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8"]);
    expect(c.maxConcurrent()).toBe(1);
  });

  test("limit 2 with many requests at once on three processes: two execute, never more; all complete", async () => {
    const c = cluster();
    const apps = await Promise.all([c.start(), c.start(), c.start()]);
    const ids = Array.from({ length: 12 }, (_, i) => String(i));
    c.hold(...ids);
    const answered: Response[] = [];
    const requests = ids.map((id, i) => request(apps[i % 3]!, `/two?id=${id}`).then((res) => (answered.push(res), res)));
    await until(
      () => answered.length === 10 && c.started().length === 2,
      () => `two runs execute and ten are queued (answered: ${answered.map((res) => res.status)}; started: ${c.started()})`,
    );
    expect(answered.map((res) => res.status)).toEqual(Array(10).fill(303));
    c.release(...ids);
    const finals = await Promise.all(requests.map(async (res, i) => settle(await res, [apps[(i + 1) % 3]!])));
    expect(finals.map((res) => res.status)).toEqual(Array(12).fill(200));
    expect(c.started().sort()).toEqual([...ids].sort());
    expect(c.maxConcurrent()).toBe(2);
  });

  test("keys isolate across processes: a saturated key blocks none other", async () => {
    const c = cluster();
    const [one, two] = await Promise.all([c.start(), c.start()]);
    c.hold("a1");
    const a1 = request(one!, "/user?user=a&id=a1");
    await until(() => c.started().includes("a1"), "user a holds its slot");
    const a2 = await request(two!, "/user?user=a&id=a2");
    expect(a2.status).toBe(303);
    const b1 = await request(two!, "/user?user=b&id=b1");
    expect(b1.status).toBe(200);
    expect(c.started()).toEqual(["a1", "b1"]);
    c.release("a1");
    expect((await a1).status).toBe(200);
    expect((await settle(a2, [two!])).status).toBe(200);
    expect(c.started()).toEqual(["a1", "b1", "a2"]);
  });

  test("a process SIGKILLed while holding a slot frees it once its lease lapses: the run is taken over, then the next starts", async () => {
    const c = cluster(SHORT_LEASE_MS);
    const doomed = await c.start({ DURABLE_TEST_CRASH_AT_PROBE: "work:k" });
    const survivor = await c.start();
    const killed = request(doomed, "/one?id=k").catch(() => null); // cut by the crash
    const { signal } = await doomed.exited;
    expect(signal).toBe("SIGKILL");
    expect(await killed).toBeNull();
    // the dead process's lease still holds the slot: a new run is queued
    const next = await request(survivor, "/one?id=m");
    expect(next.status).toBe(303);
    expect(c.started()).toEqual(["k"]);
    expect(await (await settle(next, [survivor])).json()).toEqual({ id: "m" });
    // k was executed again by the survivor (its orphaned run is first in the queue), then m
    expect(c.events()).toEqual([
      { event: "start", id: "k", pid: doomed.pid },
      { event: "start", id: "k", pid: survivor.pid },
      { event: "end", id: "k", pid: survivor.pid },
      { event: "start", id: "m", pid: survivor.pid },
      { event: "end", id: "m", pid: survivor.pid },
    ]);
  });
});
