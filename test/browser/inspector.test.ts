/**
 * The run inspector (`durable ui`, built) in headless Chromium, against a real SQLite store and a
 * real Postgres store holding a run in every status: the live list and its filters, one run's
 * timeline, decoded state and source, and live updates when runs change.
 * Screenshots go to test-results/screenshots/inspector-*.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "@durable-endpoints/runtime";
import { postgresStore } from "@durable-endpoints/runtime/postgres";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";
import { postgresUrl, testPostgresUrl } from "../support/postgres.mjs";
import { chromeFor, launchChromium } from "./browser.js";
import { compiledOrders, currentLineInView, populate, repoRoot, startUi, type OrdersApp, type Runs, type Ui } from "./inspector.js";

const screenshots = join(repoRoot, "test-results", "screenshots");
const LIVE = { timeout: 20_000 };

let tmp = ""; // made in beforeAll: a skipped suite leaves nothing behind
const pgSchema = `inspector_ui_${process.pid}`;
const chrome = chromeFor("the run inspector's browser tests");

interface Backend {
  name: string;
  url: string;
  open(): Store;
  cleanup(): Promise<void>;
}

const backends: Backend[] = [
  {
    name: "sqlite",
    get url() {
      return `sqlite://${join(tmp, "runs.db")}`;
    },
    open: () => sqliteStore({ path: join(tmp, "runs.db") }),
    cleanup: async () => rmSync(tmp, { recursive: true, force: true }),
  },
  {
    name: "postgres",
    get url() {
      return postgresUrl(testPostgresUrl(), { schema: pgSchema });
    },
    open: () => postgresStore({ connectionString: testPostgresUrl(), schema: pgSchema }),
    cleanup: async () => {
      const admin = new pg.Client({ connectionString: testPostgresUrl() });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
      await admin.end();
    },
  },
];

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  if ("missing" in chrome) return;
  tmp = mkdtempSync(join(tmpdir(), "durable-inspector-"));
  mkdirSync(screenshots, { recursive: true });
  browser = await launchChromium(chrome.path);
});
afterAll(async () => {
  await browser?.close();
  for (const backend of backends) await backend.cleanup();
});

describe.skipIf("missing" in chrome).each(backends)("inspector on $name", (backend) => {
  let app: OrdersApp;
  let runs: Runs;
  let ui: Ui;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const { ordersApp } = await compiledOrders();
    app = ordersApp(backend.open());
    runs = await populate(app);
    ui = await startUi(backend.url);
    page = await browser.context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await page?.close();
    const code = await ui?.stop();
    expect(code, ui?.output()).toBe(0);
    await app?.inngest.close();
    expect(pageErrors).toEqual([]);
  });

  const shot = (name: string) => page.screenshot({ path: join(screenshots, `inspector-${backend.name}-${name}.png`), fullPage: true });
  const row = (id: string) => page.locator(`tr[data-run-id="${id}"]`);
  const listedIds = () => page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run-id")));

  it("lists every run newest first, with its status, live", async () => {
    await page.goto(ui.url);
    await expect.poll(listedIds, LIVE).toEqual([runs.keyed, runs.waiting, runs.sleeping, runs.retrying, runs.failed, runs.completed]);
    expect(await row(runs.completed).getAttribute("data-status")).toBe("completed");
    expect(await row(runs.failed).getAttribute("data-status")).toBe("failed");
    for (const id of [runs.retrying, runs.sleeping, runs.waiting]) expect(await row(id).getAttribute("data-status")).toBe("waiting");
    expect(await row(runs.keyed).innerText()).toContain("key order-o-2");
    expect(await page.getByTestId("connection").innerText()).toMatch(/live/);
    expect(await page.getByTestId("store").innerText()).toContain(backend.name);
    await shot("01-list");
  });

  it("filters by status, endpoint, Idempotency-Key and time, kept in the URL; Clear shows everything again", async () => {
    await page.goto(ui.url);
    await expect.poll(listedIds, LIVE).toHaveLength(6);
    await page.getByTestId("filter-status").selectOption("failed");
    await expect.poll(listedIds, LIVE).toEqual([runs.failed]);
    expect(new URL(page.url()).searchParams.get("status")).toBe("failed");

    await page.getByTestId("filter-status").selectOption("waiting");
    await expect.poll(listedIds, LIVE).toEqual([runs.keyed, runs.waiting, runs.sleeping, runs.retrying]);
    await page.getByTestId("filter-key").fill("order-o-2");
    await page.getByTestId("filter-key").press("Enter");
    await expect.poll(listedIds, LIVE).toEqual([runs.keyed]);
    await shot("04-filtered");

    // reloading keeps the filters (they live in the URL)
    await page.reload();
    await expect.poll(listedIds, LIVE).toEqual([runs.keyed]);
    expect(await page.getByTestId("filter-key").inputValue()).toBe("order-o-2");

    await page.getByTestId("clear-filters").click();
    await expect.poll(listedIds, LIVE).toHaveLength(6);
    await page.getByTestId("filter-endpoint").fill("elsewhere.ts#nothing");
    await page.getByTestId("filter-endpoint").press("Enter");
    await expect.poll(() => page.getByTestId("runs-empty").innerText(), LIVE).toBe("No runs match these filters.");
    await page.getByTestId("filter-endpoint").fill("test/browser/fixtures/orders.ts#order");
    await page.getByTestId("filter-endpoint").press("Enter");
    await expect.poll(listedIds, LIVE).toHaveLength(6);

    // time range: runs started from a minute in the future — none; up to then — all
    const inAMinute = new Date(Date.now() + 60_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.getByTestId("filter-from").fill(inAMinute);
    await expect.poll(listedIds, LIVE).toEqual([]);
    await page.getByTestId("filter-from").fill("");
    await page.getByTestId("filter-to").fill(inAMinute);
    await expect.poll(listedIds, LIVE).toHaveLength(6);
    expect(new URL(page.url()).searchParams.get("to")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    await page.getByTestId("clear-filters").click();
  });

  it("opens a run by its id; an unknown id says so", async () => {
    await page.goto(ui.url);
    await page.getByTestId("search-run").fill("no-such-run");
    await page.getByTestId("search-run").press("Enter");
    await expect.poll(() => page.getByTestId("search-error").innerText(), LIVE).toBe("no run no-such-run in this store");
    await page.getByTestId("search-run").fill(runs.sleeping);
    await page.getByTestId("search-run").press("Enter");
    await expect.poll(() => new URL(page.url()).pathname, LIVE).toBe(`/runs/${runs.sleeping}`);
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("waiting");
    await page.goBack();
    await expect.poll(listedIds, LIVE).toHaveLength(6);
  });

  it("one run: timeline, decoded locals, the machine's state highlighted in the source", async () => {
    await page.goto(ui.url);
    await row(runs.waiting).locator("a").click();
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("waiting");
    expect(new URL(page.url()).pathname).toBe(`/runs/${runs.waiting}`);
    const timeline = page.getByTestId("timeline");
    expect(await timeline.locator('[data-step="load-cart"]').innerText()).toMatch(/load-cart completed · 1 attempt/);
    expect(await timeline.locator('[data-step="approval"]').innerText()).toMatch(/approval waiting for order\/approved, until[\s\S]*match data\.orderId = "o-1"/);
    // captured locals, decoded: a Date and a Map shown as such
    const locals = await page.getByTestId("locals").innerText();
    expect(locals).toMatch(/placedAt\s+Date 2026-01-02T03:04:05\.000Z/);
    expect(locals).toMatch(/cart\s+\{2\}\s+items:\s+Map\(1\)\s+"pen" =>\s*2/);
    // state 8 resumes at the waitForEvent: its line is highlighted, completed steps are marked
    expect(await page.getByTestId("state").innerText()).toBe("8");
    const current = page.getByTestId("source").locator("li.current");
    expect(await current.count()).toBe(1);
    expect(await current.innerText()).toContain('step.waitForEvent("approval"');
    expect(await currentLineInView(page)).toBe(true);
    expect(await page.getByTestId("source").locator('li[data-mark="completed"]').innerText()).toContain('step.run("load-cart"');
    await shot("02-run-waiting");
  });

  it("a failed run: the error and the final response", async () => {
    await page.goto(`${ui.url}/runs/${runs.failed}`);
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("failed");
    const charge = page.getByTestId("timeline").locator('[data-step="charge"]');
    expect(await charge.innerText()).toMatch(/charge failed after 1 attempt[\s\S]*NonRetriableError: card declined/);
    expect(await page.getByTestId("timeline").locator('[data-kind="response"]').innerText()).toMatch(/failed: responded 500/);
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toEqual({ error: { name: "StepError", message: "card declined" } });
    await shot("03-run-failed");
  });

  it("a retrying run: the failed attempt, its error and when the next one is due", async () => {
    await page.goto(`${ui.url}/runs/${runs.retrying}`);
    const charge = page.getByTestId("timeline").locator('[data-step="charge"]');
    await expect.poll(() => charge.innerText(), LIVE).toMatch(/charge failed attempt 1 · retry at (?:[A-Z][a-z]{2} \d{1,2}(?: \d{4})? )?\d\d:\d\d:\d\d \(in (59|[1-5]\d|\d)m\d\ds\)/);
    expect(await charge.innerText()).toContain("Error: gateway timeout");
  });

  it("a sleeping run, and a completed one with its response", async () => {
    await page.goto(`${ui.url}/runs/${runs.sleeping}`);
    await expect.poll(() => page.getByTestId("timeline").locator('[data-step="cool-down"]').innerText(), LIVE).toMatch(/cool-down sleeping until .*\(in (23h5\dm|1d)\)/);
    await page.goto(`${ui.url}/runs/${runs.completed}`);
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("completed");
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toEqual({ mode: "ok", items: 1, placedAt: "2026-01-02T03:04:05.000Z", approvedBy: null });
    expect(await page.getByTestId("timeline").locator('[data-kind="response"]').innerText()).toMatch(/completed: responded 200/);
  });

  it("live: a new run appears and a run that finishes changes, without a reload", async () => {
    await page.goto(ui.url);
    await expect.poll(listedIds, LIVE).toHaveLength(6);
    const fresh = await app.order(new Request("http://127.0.0.1/orders?mode=ok"));
    const freshId = fresh.headers.get("X-Durable-Run-Id")!;
    await expect.poll(async () => (await listedIds())[0], LIVE).toBe(freshId);
    expect(await row(freshId).getAttribute("data-status")).toBe("completed");

    // The run waiting for an event, open on its own page: the event arrives, the run completes.
    await row(runs.waiting).locator("a").click();
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("waiting");
    await app.inngest.send({ name: "order/approved", data: { orderId: "o-1", by: "ops" } });
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("completed");
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toMatchObject({ mode: "event", approvedBy: "ops" });
    expect(await page.getByTestId("timeline").locator('[data-step="approval"]').innerText()).toMatch(/approval resolved by an event[\s\S]*name: "order\/approved"[\s\S]*by: "ops"/);
    await shot("05-run-completed-live");
    await page.goBack();
    await expect.poll(() => row(runs.waiting).getAttribute("data-status"), LIVE).toBe("completed");
  });

  it("wakes a sleeping run: the app resumes it at once and it completes", async () => {
    await page.goto(`${ui.url}/runs/${runs.sleeping}`);
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("waiting");
    await page.getByTestId("wake").click();
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("completed");
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toMatchObject({ mode: "sleep" });
    expect(await page.getByTestId("timeline").locator('[data-step="cool-down"]').innerText()).toMatch(/cool-down slept until/);
    expect(await page.getByTestId("wake").count()).toBe(0); // nothing left to wake
  });

  it("wakes a retrying run: its next attempt runs now (and fails again, so another retry is scheduled)", async () => {
    await page.goto(`${ui.url}/runs/${runs.retrying}`);
    const charge = page.getByTestId("timeline").locator('[data-step="charge"]');
    await expect.poll(() => charge.innerText(), LIVE).toMatch(/failed attempt 1 · retry at/);
    await page.getByTestId("wake").click();
    await expect.poll(() => charge.innerText(), LIVE).toMatch(/failed attempt 2 · retry at/);
    expect(await page.getByTestId("run-status").innerText()).toBe("waiting");
  });

  it("sends the event a wait is waiting for, from a form prefilled to match it", async () => {
    const res = await app.order(new Request("http://127.0.0.1/orders?mode=event&orderId=o-9"));
    const runId = res.headers.get("X-Durable-Run-Id")!;
    await page.goto(`${ui.url}/runs/${runId}`);
    const wait = page.getByTestId("timeline").locator('[data-step="approval"]');
    await expect.poll(() => wait.innerText(), LIVE).toMatch(/approval waiting for order\/approved, until[\s\S]*match data\.orderId = "o-9"/);
    expect(await page.getByTestId("event-name").inputValue()).toBe("order/approved");
    expect(JSON.parse(await page.getByTestId("event-data").inputValue())).toEqual({ orderId: "o-9" });

    // mistakes are reported, nothing is sent
    await page.getByTestId("event-data").fill("{ not json");
    await page.getByTestId("send-event").click();
    await expect.poll(() => page.getByTestId("send-outcome").innerText()).toBe("data must be JSON");
    await page.getByTestId("event-data").fill('{ "orderId": "o-9", "by": "inspector" }');
    await page.getByTestId("event-name").fill("");
    await page.getByTestId("send-event").click();
    await expect.poll(() => page.getByTestId("send-outcome").innerText()).toBe('every event needs a non-empty "name"');
    expect(await page.getByTestId("run-status").innerText()).toBe("waiting");
    await page.getByTestId("event-name").fill("order/approved");
    await shot("06-send-event");

    await page.getByTestId("send-event").click();
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("completed");
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toMatchObject({ mode: "event", approvedBy: "inspector" });
  });
  /** A request of the app; its run id and poll URL. */
  const request = async (query: string, expected: number) => {
    const res = await app.order(new Request(`http://127.0.0.1/orders?${query}`));
    expect(res.status, query).toBe(expected);
    await res.body?.cancel();
    return { runId: res.headers.get("X-Durable-Run-Id")!, poll: res.headers.get("Location") };
  };
  /** An action POSTed by the page itself (same origin, as its buttons do). */
  const action = (path: string, body: unknown) =>
    page.evaluate(
      async ([path, body]) => {
        const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        return { status: res.status, body: await res.json() };
      },
      [path, body] as const,
    );
  const status = () => page.getByTestId("run-status").innerText();
  const endpoint = "test/browser/fixtures/orders.ts#order";

  it("cancels a sleeping run with a reason: the page shows the 409 its poll URL now answers, and no action is left", async () => {
    const { runId, poll } = await request("mode=sleep", 303);
    await page.goto(`${ui.url}/runs/${runId}`);
    await expect.poll(status, LIVE).toBe("waiting");
    expect(await page.getByTestId("retry").count()).toBe(0); // only a failed run can be retried
    // two clicks: "Keep it" backs out
    await page.getByTestId("cancel").click();
    await page.getByTestId("keep-run").click();
    expect(await page.getByTestId("confirm-cancel").isVisible()).toBe(false);
    await page.getByTestId("cancel").click();
    await page.getByTestId("cancel-reason").fill("customer changed their mind");
    await shot("07-cancel");
    await page.getByTestId("confirm-cancel").click();

    await expect.poll(status, LIVE).toBe("cancelled");
    await expect.poll(() => page.getByTestId("action-outcome").innerText(), LIVE).toMatch(/^cancelled: /);
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toMatchObject({
      error: { name: "RunCancelled", message: "The run was cancelled: customer changed their mind", runId, reason: "customer changed their mind" },
    });
    const timeline = page.getByTestId("timeline");
    expect(await timeline.locator('[data-kind="response"]').innerText()).toMatch(/cancelled: responded 409/);
    expect(await timeline.locator('[data-step="cool-down"]').innerText()).toMatch(/cool-down cut short: the run was cancelled/);
    for (const id of ["wake", "cancel", "retry"]) expect(await page.getByTestId(id).count(), id).toBe(0);
    // the app answers the run's poll URL with the same cancellation
    const polled = await app.order(new Request(new URL(poll!, "http://127.0.0.1")));
    expect(polled.status).toBe(409);
    expect(await polled.json()).toMatchObject({ error: { name: "RunCancelled", reason: "customer changed their mind" } });
    // the API: cancelling again changes nothing; a cancelled run is not retried; an unknown run is 404
    expect(await action(`/api/runs/${runId}/cancel`, {})).toEqual({ status: 200, body: { runId, status: "cancelled", changed: false } });
    expect(await action(`/api/runs/${runId}/retry`, {})).toEqual({ status: 409, body: { error: `run ${runId} is cancelled; only a failed run can be retried` } });
    expect(await action("/api/runs/no-such-run/cancel", {})).toEqual({ status: 404, body: { error: "no run no-such-run in this store" } });
  });

  it("cancels a running run: the step in flight finishes and is kept, nothing after it runs, the request answers 409", async () => {
    await page.goto(ui.url);
    const inline = app.order(new Request("http://127.0.0.1/orders?mode=hold"));
    await expect.poll(() => app.held.release !== undefined, LIVE).toBe(true);
    const running = await page.evaluate(async () => (await (await fetch("/api/runs?status=running")).json()) as { runs: { id: string }[] });
    expect(running.runs).toHaveLength(1);
    const runId = running.runs[0]!.id;
    await page.goto(`${ui.url}/runs/${runId}`);
    await expect.poll(status, LIVE).toBe("running");
    await page.getByTestId("cancel").click();
    await page.getByTestId("cancel-reason").fill("out of stock");
    await page.getByTestId("confirm-cancel").click();
    await expect.poll(status, LIVE).toBe("cancelled");

    app.held.release!(); // the step in flight finishes
    const answer = await inline;
    expect(answer.status).toBe(409);
    expect(await answer.json()).toMatchObject({ error: { name: "RunCancelled", runId, reason: "out of stock" } });
    await expect.poll(() => page.getByTestId("timeline").locator('[data-step="pack"]').innerText(), LIVE).toMatch(/pack completed · 1 attempt[\s\S]*"packed"/);
    expect(await status()).toBe("cancelled");
  });

  it("cancels a run waiting for an event (no reason): its wait is dropped, so the event resumes nothing", async () => {
    const { runId } = await request("mode=event&orderId=o-cancelled", 303);
    await page.goto(`${ui.url}/runs/${runId}`);
    await expect.poll(() => page.getByTestId("timeline").locator('[data-step="approval"]').innerText(), LIVE).toMatch(/approval waiting for order\/approved/);
    await page.getByTestId("cancel").click();
    await page.getByTestId("confirm-cancel").click();
    await expect.poll(status, LIVE).toBe("cancelled");
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toMatchObject({ error: { name: "RunCancelled", message: "The run was cancelled", reason: null } });
    expect(await page.getByTestId("send-event").count()).toBe(0); // no open wait left
    expect(await action("/api/events", { name: "order/approved", data: { orderId: "o-cancelled" } })).toMatchObject({ status: 200, body: { woken: [] } });
    expect(await action(`/api/runs/${runId}/wake`, {})).toMatchObject({ status: 409 });
  });

  it("retries a failed run after a fix: the app serving its endpoint picks it up and finishes it from the failed step", async () => {
    const { runId } = await request("mode=fail", 500);
    await page.goto(`${ui.url}/runs/${runId}`);
    await expect.poll(status, LIVE).toBe("failed");
    expect(await page.getByTestId("cancel").count()).toBe(0); // a finished run is not cancelled
    app.cards.declined = false; // the fix is deployed
    await page.getByTestId("retry").click();
    await expect.poll(() => page.getByTestId("action-outcome").innerText(), LIVE).toBe(`run ${runId} will run again from where it failed: a process serving ${endpoint} picks it up`);
    await expect.poll(status, LIVE).toBe("completed");
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toEqual({ mode: "fail", items: 1, placedAt: "2026-01-02T03:04:05.000Z", approvedBy: null });
    const charge = page.getByTestId("timeline").locator('[data-step="charge"]');
    expect(await charge.innerText()).toMatch(/charge completed[\s\S]*"charged"/);
    expect(await page.getByTestId("retry").count()).toBe(0);
    // the API: only a failed run is retried; a finished one is not cancelled
    expect(await action(`/api/runs/${runId}/retry`, {})).toEqual({ status: 409, body: { error: `run ${runId} is completed; only a failed run can be retried` } });
    expect(await action(`/api/runs/${runId}/cancel`, {})).toEqual({ status: 409, body: { error: `run ${runId} already completed; there is nothing to cancel` } });
  });

  // Last: it replaces the app process.
  it("retries a failed run while no process serves its endpoint: the page says it is due, an app started later runs it", async () => {
    app.cards.declined = true;
    const { runId } = await request("mode=fail", 500);
    await app.inngest.close(); // nothing serves the endpoint any more: the inspector itself runs no handler
    await page.goto(`${ui.url}/runs/${runId}`);
    await expect.poll(status, LIVE).toBe("failed");
    await page.getByTestId("retry").click();
    await expect.poll(() => page.getByTestId("due").innerText(), LIVE).toBe(`due now: waits for a process serving ${endpoint} to pick it up`);
    expect(await status()).toBe("waiting");
    const charge = page.getByTestId("timeline").locator('[data-step="charge"]');
    await expect.poll(() => charge.innerText(), LIVE).toMatch(/charge failed; the run was retried: it runs again, with a fresh attempt budget, when a process picks the run up[\s\S]*NonRetriableError: card declined/);
    await shot("08-retried-due");

    const { ordersApp } = await compiledOrders();
    app = ordersApp(backend.open()); // the fixed deployment starts
    app.cards.declined = false;
    await app.inngest.start();
    await expect.poll(status, LIVE).toBe("completed");
    expect(await page.getByTestId("due").count()).toBe(0);
  });
});
