/**
 * `npm start` (scripts/start.mjs, over the built packages): the playground, the Node example app and
 * the run inspector on the app's store. A checkout run of the example, followed in Chromium through
 * the inspector: listed live, its source state highlighted, woken from its sleep, then approved with
 * an event sent from the page — and Ctrl-C stops all three processes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromeFor, launchChromium } from "./browser.js";
import { currentLineInView, repoRoot } from "./inspector.js";

const LIVE = { timeout: 20_000 };
const screenshots = join(repoRoot, "test-results", "screenshots");
const chrome = chromeFor("the `npm start` browser tests");

describe.skipIf("missing" in chrome)("npm start", () => {
  let start: ChildProcess;
  let banner = "";
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const urls = { playground: "", app: "", inspector: "" };
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "durable-start-"));
    mkdirSync(screenshots, { recursive: true });
    start = spawn(process.execPath, [join(repoRoot, "scripts", "start.mjs")], {
      cwd: repoRoot,
      env: { ...process.env, PLAYGROUND_PORT: "0", APP_PORT: "0", INSPECTOR_PORT: "0", EXAMPLE_STORE: join(tmp, "example-app.db") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    await new Promise<void>((resolve, reject) => {
      start.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        banner += chunk;
        if (banner.includes("Ctrl-C to stop.")) resolve();
      });
      start.stderr!.setEncoding("utf8").on("data", (chunk: string) => (banner += chunk));
      start.once("exit", (code) => reject(new Error(`npm start exited (${code}): ${banner}`)));
    });
    urls.playground = /Playground\s+(http:\/\/\S+)/.exec(banner)![1]!;
    urls.app = /Example app\s+(http:\/\/\S+)/.exec(banner)![1]!;
    urls.inspector = /Inspector\s+(http:\/\/\S+)/.exec(banner)![1]!;
    browser = await launchChromium((chrome as { path: string }).path);
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    if (start && start.exitCode === null) {
      start.kill("SIGTERM");
      await new Promise((resolve) => start.once("exit", resolve));
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it("prints the three URLs; the playground and the inspector answer", async () => {
    expect(banner).toMatch(/Inspector\s+http:\/\/127\.0\.0\.1:\d+\n\s+the example app's runs, live/);
    expect((await fetch(urls.playground)).status).toBe(200);
    expect((await fetch(`${urls.inspector}/api/runs`)).status).toBe(200);
  });

  it("follows an example run in the inspector: source state, wake from its sleep, approve with an event", async () => {
    const res = await fetch(`${urls.app}/api/checkout?orderId=o-start&sleep=1h`, { redirect: "manual" });
    expect(res.status).toBe(303);
    const runId = res.headers.get("X-Durable-Run-Id")!;

    await page.goto(urls.inspector);
    await expect.poll(() => page.locator(`tr[data-run-id="${runId}"]`).innerText(), LIVE).toMatch(/waiting\s+\S+\s+\.\.\/shared\/src\/endpoints\.ts#checkout/);
    await page.locator(`tr[data-run-id="${runId}"] a`).click();
    await expect.poll(() => page.getByTestId("source").locator("li.current").innerText(), LIVE).toContain('await step.sleep("cool-down"');
    await page.getByTestId("wake").click();
    await expect.poll(() => page.getByTestId("timeline").locator('[data-step="approval"]').innerText(), LIVE).toMatch(/waiting for order\/approved/);
    expect(await page.getByTestId("source").locator("li.current").innerText()).toContain('step.waitForEvent("approval"');
    expect(await currentLineInView(page)).toBe(true);
    await page.getByTestId("event-data").fill('{ "orderId": "o-start", "by": "the inspector" }');
    await page.screenshot({ path: join(screenshots, "start-inspector-run.png"), fullPage: true });
    await page.getByTestId("send-event").click();
    await expect.poll(() => page.getByTestId("run-status").innerText(), LIVE).toBe("completed");
    expect(JSON.parse(await page.getByTestId("response-body").innerText())).toMatchObject({ orderId: "o-start", amount: 42, approvedBy: "the inspector" });
  });

  it("Ctrl-C stops the playground, the app and the inspector", async () => {
    const exited = new Promise<number | null>((resolve) => start.once("exit", resolve));
    start.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const url of [urls.app, urls.inspector]) await expect(fetch(url)).rejects.toThrow();
  });
});
