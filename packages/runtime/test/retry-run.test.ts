/**
 * Retrying a failed run, end to end: handlers compiled by the real transform
 * (and one plain handler) on SQLite fail, get "fixed" — a flag, a code change
 * outside the handler (same version) deployed by another process, a new
 * handler (new version: replay by step id) — and `inngest.retry()` /
 * `retryRun` resume them where they failed; the poll URL and the
 * Idempotency-Key then see the new outcome.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { retryRun, step, type Store } from "@durable-endpoints/runtime";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";
import { transform } from "@durable-endpoints/transform";
import { closeClients, follow, req, testClient } from "./helpers.js";

afterEach(closeClients);
const compiledDir = mkdtempSync(join(fileURLToPath(new URL(".", import.meta.url)), ".compiled-retry-"));
const dbDir = mkdtempSync(join(tmpdir(), "durable-retry-"));
afterAll(() => {
  rmSync(compiledDir, { recursive: true, force: true });
  rmSync(dbDir, { recursive: true, force: true });
});

let n = 0;
const freshStore = () => sqliteStore({ path: join(dbDir, `retry-${++n}.db`) });

const header = `
import { Inngest, NonRetriableError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
export const log: string[] = [];
export const infos: string[] = [];
export const fix = { applied: false };
const logger = { info: (message: string) => infos.push(message), warn() {}, error() {} };
export const inngest = new Inngest({ id: "retry", endpointAdapter, store: (globalThis as any).retryTestStore, logger, retries: 1, backoff: { initial: 5, max: 5 } });
`;

/** Compiles `body` as module `name` (its endpoint id: `checkout.ts#handler`), with `store` as its client's store. */
async function load(name: string, body: string, store: Store) {
  const result = transform(header + body, { filename: "checkout.ts" });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const file = join(compiledDir, `${name}.ts`);
  writeFileSync(file, result.code);
  (globalThis as { retryTestStore?: Store }).retryTestStore = store;
  const module = await import(file);
  return { module, version: result.endpoints[0]!.version as string };
}

const runIdOf = (res: Response) => res.headers.get("x-durable-run-id")!;

const checkout = (chargeBody: string) => `
export const handler = inngest.endpoint(async (req: Request) => {
  const stamp = Math.random();
  log.push("top " + stamp);
  const cart = await step.run("load-cart", () => { log.push("load-cart"); return { total: 30 }; });
  const charge = await step.run("charge", () => { ${chargeBody} });
  await step.sleep("settle", "5ms");
  return Response.json({ stamp, total: cart.total, charge });
});
`;

describe("retrying a failed run", () => {
  test("same version: resumes at the failing step with its saved locals, completed steps not re-run, a fresh attempt budget", async () => {
    const store = freshStore();
    const { module } = await load(
      "same-version",
      checkout(`log.push("charge"); if (!fix.applied) throw new Error("card service down"); return "charged";`),
      store,
    );
    const key = { headers: { "idempotency-key": "order-1" } };
    const first = await module.handler(req("/api/checkout", key));
    const failed = await follow(module.handler, first);
    expect(failed.status).toBe(500);
    const runId = runIdOf(first);
    expect(await store.getStep(runId, "charge")).toMatchObject({ status: "failed", attempts: 2 });
    expect(module.log).toEqual([expect.stringMatching(/^top /), "load-cart", "charge", "charge"]);

    // before the fix, a retry spends a fresh budget (2 attempts) and fails again
    expect(await module.inngest.retry(runId)).toEqual({ runId, status: "waiting", changed: true });
    expect((await follow(module.handler, await module.handler(req("/api/checkout", key)))).status).toBe(500);
    expect(module.log.filter((l: string) => l === "charge")).toHaveLength(4);

    module.fix.applied = true;
    expect(await module.inngest.retry(runId)).toMatchObject({ changed: true });
    const final = await follow(module.handler, first); // the poll URL the first answer gave
    expect(final.status).toBe(200);
    const stamp = Number(module.log[0].slice("top ".length));
    expect(await final.json()).toEqual({ stamp, total: 30, charge: "charged" });
    // resumed at "charge": the top of the handler and "load-cart" ran once
    expect(module.log).toEqual([`top ${stamp}`, "load-cart", "charge", "charge", "charge", "charge", "charge"]);
    expect(await store.getStep(runId, "charge")).toMatchObject({ status: "completed", attempts: 0 });
    // the Idempotency-Key sees the new outcome too
    const again = await module.handler(req("/api/checkout", key));
    expect(await again.json()).toEqual({ stamp, total: 30, charge: "charged" });
    // only failed runs are retried
    expect(await module.inngest.retry(runId)).toEqual({ runId, status: "completed", changed: false });
    expect(await module.inngest.retry("no-such-run")).toBeNull();
  });

  test("a code change that keeps the version (a helper outside the handler fixed), deployed in another process: resumes compiled at the failing step", async () => {
    const path = join(dbDir, `retry-${++n}.db`);
    const helper = (body: string) => `function chargeCard(): string { ${body} }\n${checkout("return chargeCard();")}`;
    const v1 = await load("helper-v1", helper(`log.push("charge v1"); throw new NonRetriableError("bug in chargeCard");`), sqliteStore({ path }));
    const key = { headers: { "idempotency-key": "order-4" } };
    const first = await v1.module.handler(req("/api/checkout", key));
    expect(first.status).toBe(500);
    const runId = runIdOf(first);
    const stamp = Number(v1.module.log[0].slice("top ".length));
    await v1.module.inngest.close();

    // the fixed deployment: the handler is the same, so is its machine's version
    const store = sqliteStore({ path });
    const v2 = await load("helper-v2", helper(`log.push("charge v2"); return "charged by v2";`), store);
    expect(v2.version).toBe(v1.version);
    expect(await retryRun(store, runId)).toMatchObject({ changed: true });
    const final = await follow(v2.module.handler, await v2.module.handler(req("/api/checkout", key)));
    expect(final.status).toBe(200);
    // the saved local (stamp) came back; neither the top of the handler nor "load-cart" ran in v2
    expect(await final.json()).toEqual({ stamp, total: 30, charge: "charged by v2" });
    expect(v2.module.log).toEqual(["charge v2"]);
    expect(v2.module.infos.some((m: string) => m.includes("was started by version"))).toBe(false);
    await v2.module.inngest.close();
  });

  test("new version deployed: replays by step id — completed steps are served from the record, the failed one runs again", async () => {
    const path = join(dbDir, `retry-${++n}.db`);
    const v1 = await load("v1", checkout(`log.push("charge v1"); throw new NonRetriableError("bug in v1");`), sqliteStore({ path }));
    const key = { headers: { "idempotency-key": "order-3" } };
    const first = await v1.module.handler(req("/api/checkout", key));
    expect(first.status).toBe(500);
    const runId = runIdOf(first);
    await v1.module.inngest.close();

    // the next deployment: another process, the same database
    const store = sqliteStore({ path });
    const v2 = await load("v2", checkout(`log.push("charge v2"); return "charged by v2";`), store);
    expect(v2.version).not.toBe(v1.version);
    // a tool holding only the store marks it; the process serving the endpoint picks it up
    expect(await retryRun(store, runId)).toMatchObject({ changed: true });
    const final = await follow(v2.module.handler, await v2.module.handler(req("/api/checkout", key)));
    expect(final.status).toBe(200);
    const body = await final.json();
    expect(body).toMatchObject({ total: 30, charge: "charged by v2" });
    // replay: v2's handler ran from the top, "load-cart" came from the record and "charge" ran once; the
    // top ran again after the sleep if the sleep suspended the run (it may have elapsed by the time it was
    // reached on a loaded machine: 5 ms) — replay re-runs code outside steps
    const suspended = v2.module.log.length > 2;
    expect(v2.module.log).toEqual(suspended ? [expect.stringMatching(/^top /), "charge v2", `top ${body.stamp}`] : [`top ${body.stamp}`, "charge v2"]);
    expect(v2.module.infos.some((m: string) => m.includes(`was started by version ${v1.version}`))).toBe(true);
    await v2.module.inngest.close();
  });

  test("a handler error after a step (not a step failure): resumes at the last checkpointed state", async () => {
    const store = freshStore();
    const { module } = await load(
      "handler-error",
      `
export const handler = inngest.endpoint(async (req: Request) => {
  log.push("top");
  const cart = await step.run("load-cart", () => { log.push("load-cart"); return { total: 30 }; });
  log.push("after load-cart");
  if (!fix.applied) throw new TypeError("cart.items is undefined");
  return Response.json({ total: cart.total });
});
`,
      store,
    );
    const key = { headers: { "idempotency-key": "order-2" } };
    const first = await module.handler(req("/api/checkout", key));
    expect(first.status).toBe(500);
    module.fix.applied = true;
    await module.inngest.retry(runIdOf(first));
    // the same Idempotency-Key re-attaches and runs it here
    const final = await module.handler(req("/api/checkout", key));
    expect(await (await follow(module.handler, final)).json()).toEqual({ total: 30 });
    // the code after the last completed step ran again; the step did not
    expect(module.log).toEqual(["top", "load-cart", "after load-cart", "after load-cart"]);
  });

  test("a plain handler (replay mode): completed steps are not re-run", async () => {
    const { inngest, store } = testClient({ store: freshStore(), retries: 0 });
    const calls: string[] = [];
    let fixed = false;
    const handler = inngest.endpoint(async () => {
      const a = await step.run("a", () => (calls.push("a"), 1));
      const b = await step.run("b", () => {
        calls.push("b");
        if (!fixed) throw new Error("b is broken");
        return 2;
      });
      return Response.json({ a, b });
    });
    const first = await handler(req("/api/plain"));
    expect(first.status).toBe(500);
    const runId = runIdOf(first);
    fixed = true;
    await inngest.retry(runId);
    await inngest.start(); // the scheduler picks the retried run up by itself
    await expect.poll(async () => (await store.getRun(runId))?.status, { timeout: 10_000 }).toBe("completed");
    expect(calls).toEqual(["a", "b", "b"]);
  });
});
