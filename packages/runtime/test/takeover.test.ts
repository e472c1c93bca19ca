/**
 * Crash + takeover with real processes, on SQLite and Postgres: process P1 is SIGKILLed right after a
 * checkpoint committed, P2 takes the run over. Whatever order P2's scheduler claim and the client's
 * retry with the same Idempotency-Key reach the store and come back in, a step whose outcome was
 * committed never runs again, and no code before the committed resume point runs again.
 * Runs the built dist/ (build the runtime first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startPgProxy } from "../../../test/support/pg-proxy.mjs";
import { postgresUrl, testPostgresUrl } from "../../../test/support/postgres.mjs";
import { requireBuiltRuntime } from "./helpers.js";

const fixture = fileURLToPath(new URL("./fixtures/takeover-server.mjs", import.meta.url));
const schemaPrefix = `durable_takeover_${process.pid}_`;
const LEASE_MS = 300;
const EXPECTED = { a: 6, b: 12, c: 13, d: 14, e: 27 };
/** The state whose code each probe of the fixture belongs to. */
const STATE_OF: Record<string, number> = {
  start: 0, "step:one": 1, "after-one": 1, "step:two": 2, "step:three": 4, "step:four": 4, "after-group": 4, "step:five": 5,
};

let dir: string;
let tests = 0;
const children: ChildProcess[] = [];

beforeAll(() => {
  requireBuiltRuntime();
  dir = mkdtempSync(join(tmpdir(), "durable-takeover-"));
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  const { rows } = await admin.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", [schemaPrefix]);
  for (const { nspname } of rows) await admin.query(`DROP SCHEMA "${nspname}" CASCADE`);
  await admin.end();
});

interface LogLine {
  pid: number;
  kind: "probe" | "checkpoint" | "claim";
  label?: string;
  step?: string | null;
  status?: string | null;
  state?: number | null;
}

async function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, DURABLE_LEASE_MS: String(LEASE_MS), ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error("the takeover fixture exited before listening")));
  });
  return { child, exited, base: `http://127.0.0.1:${port}` };
}

/** The request with its Idempotency-Key, then its 303/202 poll URL, until the final Response. */
async function drive(base: string, key: string): Promise<Response> {
  let res = await fetch(`${base}/api/takeover?n=5`, { method: "POST", headers: { "idempotency-key": key }, redirect: "manual" });
  while (res.status === 303 || res.status === 202) {
    res = await fetch(new URL(res.headers.get("location")!, base), { redirect: "manual" });
  }
  return res;
}

const readLog = (log: string): LogLine[] =>
  readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as LogLine);

/** Step bodies run after their outcome was committed, and code run before the committed resume point. */
function violations(lines: LogLine[]): string[] {
  const found: string[] = [];
  const committed = new Set<string>();
  let resumePoint = 0;
  for (const line of lines) {
    if (line.kind === "checkpoint") {
      if (line.status === "completed") committed.add(line.step!);
      resumePoint = Math.max(resumePoint, line.state ?? 0);
    } else if (line.kind === "probe") {
      const label = line.label!;
      if (label.startsWith("step:") && committed.has(label.slice(5))) found.push(`${line.pid} re-ran ${label} after its outcome was committed`);
      if (STATE_OF[label]! < resumePoint) found.push(`${line.pid} ran "${label}" (state ${STATE_OF[label]}) after resume point ${resumePoint} was committed`);
    }
  }
  return found;
}

/**
 * Each store, with a way to make the scheduler's claim of P2 reach it late (the database or the
 * network was slow to answer): Postgres through a proxy that stalls the claim's result, SQLite (whose
 * calls answer synchronously) by the fixture holding the claimed runs back.
 */
const stores = {
  sqlite: async () => {
    const url = `sqlite:${join(dir, `run-${++tests}.db`)}`;
    return { url, lateUrl: url, lateEnv: { DELAY_CLAIM: "1500" }, answered: (log: string) => readLog(log).some((l) => l.kind === "claim"), close: async () => {} };
  },
  postgres: async () => {
    const url = postgresUrl(testPostgresUrl(), { schema: `${schemaPrefix}${++tests}` });
    const proxy = await startPgProxy({ target: testPostgresUrl() });
    proxy.fault({ action: "stall", after: "claimed AS", stallMs: 1500, connection: (c: { applicationName?: string }) => c.applicationName === "late" });
    const lateUrl = postgresUrl(proxy.url(url), { application_name: "late" });
    const answered = () => proxy.events.some((e: { action: string }) => e.action === "resume");
    return { url, lateUrl, lateEnv: {}, answered, close: () => proxy.close() };
  },
};

describe.each(Object.keys(stores) as (keyof typeof stores)[])("takeover after a SIGKILL (%s)", (kind) => {
  test("a scheduler claim answered late (after the same process took the run over and finished it) runs nothing again", async () => {
    const store = await stores[kind]();
    const log = join(dir, `takeover-${tests}.log`);
    writeFileSync(log, "");
    const key = `job-${tests}`;
    try {
      // P1 dies right after its run went to sleep in step "nap" (steps "one" and "two" committed)
      const p1 = await serve({ STORE: store.url, LOG: log, KILL_AFTER: "3" });
      await expect(drive(p1.base, key)).rejects.toThrow();
      await p1.exited;
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 100)); // its sleep is over

      // P2's scheduler claims the due run at boot, but the answer reaches it late; meanwhile the client retries
      const p2 = await serve({ STORE: store.lateUrl, LOG: log, START: "1", ...store.lateEnv });
      const final = await drive(p2.base, key);
      expect(final.status).toBe(200);
      expect(await final.json()).toEqual(EXPECTED);
      // the late answer arrives; give whatever it starts time to run
      await expect.poll(() => store.answered(log), { timeout: 10_000 }).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1000));

      expect(violations(readLog(log))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
