/**
 * `durable cancel` and `durable retry`, the BUILT binary, on a SQLite store
 * that an app process (another process, the built runtime) is serving: the
 * app notices a cancellation while its step is in flight, and picks a retried
 * run up by itself. Build first: `npx turbo run build --filter=@durable-endpoints/cli`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningServer } from "../../../test/support/processes.mjs";

const cliDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(cliDir, "bin", "durable.js");
const appServer = fileURLToPath(new URL("../../../test/support/app-server.mjs", import.meta.url));
const fixture = join(cliDir, "test", "fixtures", "controlled.mjs");
const tmp = mkdtempSync(join(tmpdir(), "durable-cli-control-"));
const storeUrl = `sqlite://${join(tmp, "app.db")}`;
const appLog = join(tmp, "app.log");
const fixFile = join(tmp, "fixed");
let app: RunningServer;

function durable(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: cliDir, encoding: "utf8", env: { ...process.env, DURABLE_STORE_URL: undefined } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const logLines = () => (existsSync(appLog) ? readFileSync(appLog, "utf8").trim().split("\n") : []);

async function until(condition: () => boolean, what: string, ms = 20_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; app log: ${logLines().join(" | ")}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  // a short lease: a cancellation is noticed at the next renewal (every 200 ms) while a step runs
  app = await startApp(appServer, { args: [fixture], env: { DURABLE_STORE_URL: storeUrl, DURABLE_LEASE_MS: "600", APP_LOG: appLog, FIX_FILE: fixFile } });
});

afterAll(async () => {
  await app?.kill();
  rmSync(tmp, { recursive: true, force: true });
});

describe("durable cancel <id>", () => {
  it("cancels a run whose step is in flight in another process: req.signal aborts there, the step is kept, nothing after it runs", async () => {
    const inline = fetch(`${app.url}/long`, { headers: { "idempotency-key": "long-1" } });
    await until(() => logLines().includes("long started"), "the step to start");
    const [run] = JSON.parse(durable(["runs", "--store", storeUrl, "--json"]).stdout) as { id: string; status: string }[];
    expect(run!.status).toBe("running");

    expect(durable(["cancel", run!.id, "--store", storeUrl, "--reason", "ops said so"])).toMatchObject({ code: 0, stdout: `cancelled run ${run!.id}\n` });
    const res = await inline;
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { name: "RunCancelled", runId: run!.id, reason: "ops said so" } });
    expect(logLines()).toEqual(["long started", "long aborted: AbortError"]);

    const shown = JSON.parse(durable(["run", run!.id, "--store", storeUrl, "--json"]).stdout);
    expect(shown).toMatchObject({ status: "cancelled", result: { status: 409 } });
    expect(shown.steps).toEqual([expect.objectContaining({ id: "long", status: "completed", output: "stopped" })]);
    // re-attaching gets the cancellation; cancelling again is fine
    expect((await fetch(`${app.url}/long`, { headers: { "idempotency-key": "long-1" } })).status).toBe(409);
    expect(durable(["cancel", run!.id, "--store", storeUrl])).toMatchObject({ code: 0, stdout: `run ${run!.id} was already cancelled\n` });
    expect(logLines()).not.toContain("after ran");
  });
});

describe("durable retry <id>", () => {
  it("makes a failed run due; the app process serving it runs it again from the failed step", async () => {
    const key = { headers: { "idempotency-key": "fragile-1" } };
    const failed = await fetch(`${app.url}/fragile`, key);
    expect(failed.status).toBe(500);
    const runId = failed.headers.get("x-durable-run-id")!;

    writeFileSync(fixFile, "");
    const retried = durable(["retry", runId, "--store", storeUrl]);
    expect(retried).toMatchObject({ code: 0, stdout: `run ${runId} will run again from where it failed: a process serving controlled:/fragile picks it up\n` });
    // nobody asks the app: its scheduler notices the due run by itself
    await until(() => JSON.parse(durable(["run", runId, "--store", storeUrl, "--json"]).stdout).status === "completed", "the retried run to complete");
    const again = await fetch(`${app.url}/fragile`, key);
    expect(await again.json()).toEqual({ a: 1, b: 2 });
    expect(logLines().filter((line) => line === "a ran" || line === "b ran")).toEqual(["a ran", "b ran", "b ran"]);
  });

  it("refuses runs that did not fail, unknown runs and a missing id (exit 1)", async () => {
    const [done] = (JSON.parse(durable(["runs", "--store", storeUrl, "--json"]).stdout) as { id: string; status: string }[]).filter(
      (r) => r.status === "completed",
    );
    expect(durable(["retry", done!.id, "--store", storeUrl])).toMatchObject({ code: 1, stderr: `durable: run ${done!.id} is completed; only a failed run can be retried\n` });
    expect(durable(["cancel", done!.id, "--store", storeUrl])).toMatchObject({ code: 1, stderr: `durable: run ${done!.id} already completed; there is nothing to cancel\n` });
    expect(JSON.parse(durable(["cancel", done!.id, "--store", storeUrl, "--json"]).stdout)).toEqual({ runId: done!.id, status: "completed", changed: false });
    expect(durable(["retry", "no-such-run", "--store", storeUrl])).toMatchObject({ code: 1, stderr: expect.stringMatching(/run not found: no-such-run/) });
    expect(durable(["cancel", "--store", storeUrl])).toMatchObject({ code: 1, stderr: expect.stringMatching(/missing <run id>: durable cancel <run id>/) });
  });
});
