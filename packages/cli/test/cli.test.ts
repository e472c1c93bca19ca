/**
 * Runs the BUILT `durable` binary as a child process against a real SQLite
 * store populated by real runs of a compiled endpoint (build first:
 * `npx turbo run build --filter=@durable-endpoints/cli`).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transform } from "@durable-endpoints/transform";

const cliDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(cliDir, "bin", "durable.js"); // the installed launcher, which runs dist/
const fixtures = join(cliDir, "test", "fixtures");
const tmp = mkdtempSync(join(tmpdir(), "durable-cli-"));
const dbPath = join(tmp, "runs.db");
const storeUrl = `sqlite://${dbPath}`;

function durable(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: cliDir,
    encoding: "utf8",
    env: { ...process.env, DURABLE_STORE_URL: undefined, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const ids = { done: "", waiting: "", failed: "" };

beforeAll(async () => {
  // Compile the fixture with the real compiler and run it against SQLite in this process.
  const source = join(fixtures, "shop.ts");
  const compiled = transform(readFileSync(source, "utf8"), { filename: source, root: cliDir });
  expect(compiled.diagnostics).toEqual([]);
  const out = join(cliDir, "test", ".compiled", "shop.ts");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, compiled.code);

  process.env.DURABLE_STORE_URL = storeUrl;
  const app = (await import(out)) as typeof import("./fixtures/shop.js");
  const call = async (query: string) => {
    const res = await app.checkout(new Request(`http://127.0.0.1/checkout?${query}`));
    const id = res.headers.get("X-Durable-Run-Id");
    if (!id) throw new Error(`no run id on the ${res.status} response`);
    return { id, status: res.status };
  };
  const done = await call("sku=book");
  const waiting = await call("sku=pen&wait=1");
  const failed = await call("sku=broken");
  expect([done.status, waiting.status, failed.status]).toEqual([200, 303, 500]);
  Object.assign(ids, { done: done.id, waiting: waiting.id, failed: failed.id });
  await app.inngest.close();
  delete process.env.DURABLE_STORE_URL;
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("durable runs", () => {
  it("lists every run with status, endpoint and steps done", () => {
    const { code, stdout } = durable(["runs", "--store", storeUrl]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+ENDPOINT\s+STARTED\s+STEPS$/);
    const row = (id: string) => lines.find((l) => l.startsWith(id)) ?? "";
    expect(row(ids.done)).toMatch(/completed\s+test\/fixtures\/shop\.ts#checkout\s+\S+ \S+\s+2$/);
    expect(row(ids.waiting)).toMatch(/waiting\s+.*#checkout.*\s2$/); // the sleep has not settled yet
    expect(row(ids.failed)).toMatch(/failed\s+.*#checkout/);
  });

  it("reads DURABLE_STORE_URL and prints JSON with --json", () => {
    const { code, stdout } = durable(["runs", "--json"], { DURABLE_STORE_URL: storeUrl });
    expect(code).toBe(0);
    const runs = JSON.parse(stdout) as Array<{ id: string; status: string; stepsDone: number }>;
    expect(runs.map((r) => r.id).sort()).toEqual(Object.values(ids).sort());
    expect(runs.find((r) => r.id === ids.waiting)).toMatchObject({ status: "waiting", stepsDone: 2 });
  });

  it("filters with --limit and --endpoint", () => {
    const limited = JSON.parse(durable(["runs", "--store", storeUrl, "--limit", "1", "--json"]).stdout);
    expect(limited).toHaveLength(1);
    const other = durable(["runs", "--store", storeUrl, "--endpoint=elsewhere.ts#nothing"]);
    expect(other.stdout.trim()).toBe(`no runs in ${storeUrl}`);
    const bad = durable(["runs", "--store", storeUrl, "--limit", "zero"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--limit must be a positive integer/);
  });

  it("fails clearly without a store, or with a store that does not exist", () => {
    const none = durable(["runs"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no store: pass --store/);
    const missing = durable(["runs", "--store", `sqlite://${join(tmp, "nope.db")}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/store not found: no SQLite database at .*nope\.db/);
  });
});

describe("durable run <id>", () => {
  it("shows a suspended run's state, decoded captured locals and step timeline", () => {
    const { code, stdout } = durable(["run", ids.waiting, "--store", storeUrl]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^status\s+waiting\s+until /m);
    expect(stdout).toMatch(/placedAt\s+2026-01-02T03:04:05\.000Z/); // a Date, decoded by the runtime's serializer
    expect(stdout).toMatch(/sku\s+'pen'/);
    expect(stdout).toMatch(/^load-cart\s+run\s+completed\s+1\s/m);
    expect(stdout).toMatch(/^charge\s+run\s+completed\s+1\s.*amount: 20/m);
    expect(stdout).toMatch(/^cool-down\s+sleep\s+waiting\s/m);
    expect(stdout).toMatch(/^limit\s+5 at once for key "pen"$/m); // the endpoint's concurrency limit, the run's key
  });

  it("shows a failed run's error and final response as JSON", () => {
    const { code, stdout } = durable(["run", ids.failed, "--store", storeUrl, "--json"]);
    expect(code).toBe(0);
    const run = JSON.parse(stdout);
    expect(run.status).toBe("failed");
    expect(run.steps.find((s: { id: string }) => s.id === "charge")).toMatchObject({ status: "failed", output: { message: "card declined" } });
    expect(run.result.status).toBe(500);
  });

  it("shows a completed run's final response", () => {
    const { stdout } = durable(["run", ids.done, "--store", storeUrl]);
    expect(stdout).toMatch(/^result\s+200\s+\{"sku":"book","amount":20/m);
  });

  it("exits 1 for an unknown run", () => {
    const { code, stderr } = durable(["run", "run_does_not_exist", "--store", storeUrl]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/run not found: run_does_not_exist/);
  });
});

describe("usage", () => {
  it("prints usage for --help (exit 0) and without a command (exit 1); rejects unknown commands and options", () => {
    expect(durable(["--help"])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^durable — inspect durable endpoints/) });
    expect(durable([]).code).toBe(1);
    expect(durable(["deploy"])).toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown command "deploy"/) });
    expect(durable(["runs", "--color"])).toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown option --color/) });
  });
});

describe("durable compile / inspect", () => {
  it("prints the generated machine", () => {
    const { code, stdout } = durable(["compile", "test/fixtures/shop.ts"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/durable: 1/);
    expect(stdout).toMatch(/resume\(/);
  });

  it("prints the state table with steps and captured locals", () => {
    const { code, stdout } = durable(["inspect", "test/fixtures/shop.ts"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^STATE\s+STEP\s+KIND\s+LINE\s+CAPTURED LOCALS$/m);
    expect(stdout).toMatch(/load-cart\s+run\s+11\b/);
    expect(stdout).toMatch(/cool-down\s+sleep\s+16\s+.*placedAt/);
    expect(stdout).toMatch(/diagnostics: none/);
  });

  it("reports diagnostics with a code frame and exits 1", () => {
    const { code, stdout } = durable(["inspect", "test/fixtures/unsupported.ts"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/test\/fixtures\/unsupported\.ts:8:19: error DE1012: `step\.run\(…\)` must be awaited/);
    expect(stdout).toMatch(/>\s+8 \|/); // the code frame points at the line
  });

  it("exits 1 for a missing file", () => {
    const { code, stderr } = durable(["compile", "test/fixtures/missing.ts"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot read test\/fixtures\/missing\.ts: no such file/);
  });
});
