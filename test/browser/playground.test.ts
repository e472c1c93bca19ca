/**
 * The built playground in headless Chromium: examples, live compile with
 * diagnostics, runs in the browser, crash + resume compared with replay.
 * Screenshots go to test-results/screenshots/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromeFor, launchChromium } from "./browser.js";
import { playgroundDir, servePlayground } from "./serve.js";

/** generous: CI runs every test project at once on two cores */
const RUN_TIMEOUT = 45_000;
const screenshots = join(playgroundDir, "..", "test-results", "screenshots");
let server: Awaited<ReturnType<typeof servePlayground>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const pageErrors: string[] = [];
const chrome = chromeFor("the playground's browser tests");

beforeAll(async () => {
  if ("missing" in chrome) return;
  mkdirSync(screenshots, { recursive: true });
  server = await servePlayground();
  browser = await launchChromium(chrome.path);
  page = await browser.context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
const testId = (id: string) => page.getByTestId(id);

async function expectStatus(pattern: RegExp): Promise<void> {
  await expect.poll(() => testId("compile-status").textContent(), { timeout: 15_000 }).toMatch(pattern);
}

async function pickExample(id: string): Promise<void> {
  await testId("example").selectOption(id);
  await expect.poll(() => page.evaluate(() => location.hash)).toContain(`example=${id}`);
  await expectStatus(/^compiled/);
}

/** Replaces the whole editor content by selecting all and pasting. */
async function setSource(code: string): Promise<void> {
  await page.locator("#source .cm-content").click();
  await page.keyboard.press("Control+A");
  await page.locator("#source .cm-content").evaluate((content, text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    content.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, code);
}

/** The whole document of an editor (its DOM holds only the lines in view, so ask CodeMirror's view). */
const docOf = (target: Page, selector: string) =>
  target.evaluate((sel) => {
    type Content = HTMLElement & { cmTile?: { root?: { view?: { state: { doc: { toString(): string } } } } } };
    const content = document.querySelector(sel) as Content | null;
    return content?.cmTile?.root?.view?.state.doc.toString() ?? content?.innerText ?? "";
  }, `${selector} .cm-content`);
const sourceText = () => docOf(page, "#source");
const outputText = () => docOf(page, "#output");
const runStatus = (mode: "compiled" | "replay") => testId(`${mode}-status`).textContent();
/** Waits until the compiled run and the replayed one both show `status`. */
async function bothReach(status: string): Promise<void> {
  for (const mode of ["compiled", "replay"] as const) await expect.poll(() => runStatus(mode), { timeout: RUN_TIMEOUT }).toBe(status);
}

describe.skipIf("missing" in chrome)("playground", () => {
  it("loads with the first example compiled: generated machine, state table, graph", async () => {
    await expectStatus(/^compiled/);
    expect(await outputText()).toMatch(/durable: 1/);
    expect(await testId("state-table").innerText()).toContain("fetch-data");
    expect(await testId("state-graph").locator("g.node").count()).toBeGreaterThan(2);
    await shot("01-loaded");
  });

  it("hovering a state highlights its lines in the source and the generated code", async () => {
    await testId("state-table").locator("tbody tr", { hasText: "fetch-data" }).hover();
    await expect.poll(() => page.locator("#source .hl-state").count()).toBeGreaterThan(0);
    expect(await page.locator("#output .hl-state").count()).toBeGreaterThan(0);
    expect(await page.locator("#source .hl-state").first().innerText()).toContain("fetch-data");
    await shot("01-hover-state");

    // A click pins the highlight: it stays after the pointer leaves, until a second click.
    const summarize = testId("state-table").locator("tbody tr", { hasText: "summarize" });
    await summarize.click();
    await page.mouse.move(5, 5);
    expect(await page.locator("#source .hl-state").first().innerText()).toContain("summarize");
    await summarize.click();
    await page.mouse.move(5, 5);
    await expect.poll(() => page.locator("#source .hl-state").count()).toBe(0);
  });

  it("picks an example from the gallery and keeps it in the URL", async () => {
    await pickExample("loop");
    expect(await sourceText()).toContain("for (const id of ids)");
    expect(await testId("state-table").innerText()).toMatch(/price[\s\S]*cool-down/);
    expect(await outputText()).toContain("price");
  });

  it("recompiles while typing: output, state table and diagnostics follow the code", async () => {
    const edited = (await sourceText()).replace('step.run("price"', 'step.run("quote"');
    await setSource(edited);
    await expect.poll(() => testId("state-table").innerText()).toContain("quote");
    expect(await outputText()).toContain('"quote"');

    await setSource(edited.replace("total += item.price;", "total += item.price +;"));
    await expectStatus(/error/);
    await expect.poll(() => testId("diagnostics").innerText()).toMatch(/error DE\d+ · line \d+/);
    expect(await page.locator("#source .cm-lintRange-error").count()).toBeGreaterThan(0);
    await shot("02-diagnostics");

    await setSource(edited);
    await expectStatus(/^compiled/);
    expect(await testId("diagnostics").innerText()).toBe("");

    // The URL now carries the edited code: opening it elsewhere reproduces it.
    const link = page.url();
    const other = await browser.context.newPage();
    await other.goto(link);
    await expect.poll(() => docOf(other, "#source")).toContain('step.run("quote"');
    await other.close();
  });

  it("the diagnostic example: lint marker, DE code with a code frame, Run disabled", async () => {
    await testId("example").selectOption("diagnostic");
    await expectStatus(/^1 error · showing the last good build/);
    const diagnostics = await testId("diagnostics").innerText();
    expect(diagnostics).toMatch(/error DE1012 · line 8:19/);
    expect(diagnostics).toMatch(/>\s+8 \|\s+const pending = step\.run/);
    expect(await page.locator("#source .cm-lintRange-error").count()).toBe(1);
    expect(await testId("run").isDisabled()).toBe(true);

    // Opened directly, there is no earlier build to show.
    const fresh = await browser.context.newPage();
    await fresh.goto(`${server.url}#example=diagnostic`);
    await expect.poll(() => fresh.getByTestId("compile-status").textContent()).toBe("1 error");
    expect(await docOf(fresh, "#output")).toBe("");
    await fresh.close();
  });

  it("runs a handler in the browser: steps, a fast-forwarded sleep, the response", async () => {
    await pickExample("loop");
    await testId("run").click();
    await bothReach("done");
    const timeline = await testId("compiled-timeline").innerText();
    expect(timeline).toMatch(/step "price" completed/);
    expect(timeline).toMatch(/step "price:1" completed|step "price" completed[\s\S]*step "price" completed/);
    expect(timeline).toMatch(/sleep "cool-down".*fast-forwarded/);
    expect(timeline).toMatch(/200[\s\S]*"total":/);
    await shot("03-run");
  });

  it("crashes after a step, resumes in a new process: compiled re-runs nothing, replay re-runs the prefix", async () => {
    await pickExample("query-params");
    await testId("state-table").getByTestId("crash-load-user").click();
    await bothReach("crashed");
    expect(await testId("compiled-timeline").innerText()).toMatch(/process A killed right after "load-user"/);
    await shot("04-crashed");

    await testId("resume").click();
    await bothReach("done");

    const compiled = await testId("compiled-timeline").innerText();
    expect(compiled).toMatch(/process B took the run over/);
    expect(compiled).toMatch(/step "process" completed/);
    expect(compiled).not.toMatch(/B[\s\S]*step "load-user" completed/); // the finished step did not run again
    expect(compiled).toMatch(/200[\s\S]*"result"/);
    expect(await testId("compiled-rerun").getAttribute("data-count")).toBe("0");
    expect(Number(await testId("replay-rerun").getAttribute("data-count"))).toBeGreaterThan(0);
    expect(await page.locator("#source .hl-rerun").count()).toBeGreaterThan(0);
    await shot("05-resumed");
  });

  it("waits for an event sent from the panel", async () => {
    await pickExample("wait-for-event");
    await testId("run").click();
    await bothReach("waiting");
    expect(await testId("event-name").inputValue()).toBe("approval/received");
    expect(JSON.parse(await testId("event-data").inputValue())).toMatchObject({ requestId: "r_1" });
    await shot("06-waiting");
    await testId("send-event").click();
    await bothReach("done");
    expect(await testId("compiled-timeline").innerText()).toMatch(/"status":"paid"/);
  });

  it("streams a response: chunk after chunk on the timeline, event ids assigned, then the run's stored response", async () => {
    await pickExample("streamed-response");
    await testId("run").click();
    await bothReach("done");
    const timeline = await testId("compiled-timeline").innerText();
    expect(timeline).toMatch(/step "build-prompt" completed[\s\S]*200 — streaming/);
    expect(timeline).toMatch(/chunk 1[\s\S]*id: 1-0\s+data: \{"token":"Explain "\}[\s\S]*chunk 2[\s\S]*id: 1-\d+/);
    expect(timeline).toMatch(/event: done[\s\S]*stream complete: \d+ chunks/);
    await shot("08-stream");
  });

  it("retries a failing step with back-off fast-forwarded, then the handler's catch runs", async () => {
    await pickExample("try-catch");
    await testId("run").click();
    await bothReach("done");
    const timeline = await testId("compiled-timeline").innerText();
    expect(timeline).toMatch(/step "risky-operation" attempt 1 failed; retry in .*fast-forwarded[\s\S]*upstream is down/);
    expect(timeline).toMatch(/step "risky-operation" failed for good \(after 3 failed attempts\)/);
    expect(timeline).toMatch(/step "refund" completed[\s\S]*\{"refunded":30\}/);
    expect(timeline).toMatch(/500[\s\S]*Operation failed after retries/);
    await shot("07-retries");
  });

  it("Promise.all: crash after a parallel step, resume with both results", async () => {
    await pickExample("promise-all");
    expect(await testId("state-table").innerText()).toMatch(/weather[\s\S]*events/);
    await testId("crash").selectOption("events");
    await testId("run").click();
    await bothReach("crashed");
    await testId("resume").click();
    await bothReach("done");
    expect(await testId("compiled-timeline").innerText()).toMatch(/"report":"2 events, clear sky"/);
    expect(await testId("compiled-rerun").getAttribute("data-count")).toBe("0");
  });

  it("POSTs a JSON body; the resumed process reads it from the persisted request", async () => {
    await setSource(`import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "my-app", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const first = await step.run("first", () => 1);
  const body = await req.json();
  return Response.json({ doubled: body.n * 2, first });
});
`);
    await expect.poll(() => testId("state-table").innerText()).toContain("first");
    await page.locator("#method").selectOption("POST");
    await testId("body").fill('{"n": 21}');
    await testId("crash").selectOption("first");
    await testId("run").click();
    await bothReach("crashed");
    await testId("resume").click();
    await bothReach("done");
    expect(await testId("compiled-timeline").innerText()).toMatch(/200[\s\S]*\{"doubled":42,"first":1\}/);
    expect(await testId("replay-timeline").innerText()).toMatch(/200[\s\S]*\{"doubled":42,"first":1\}/);
  });

  it("a module with several endpoints: pick one for the state table and the run", async () => {
    await setSource(`import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "my-app", endpointAdapter });

export const ping = inngest.endpoint(async () => {
  const pong = await step.run("pong", () => "pong");
  return Response.json({ pong });
});

export const add = inngest.endpoint(async (req: Request) => {
  const a = await step.run("a", () => 1);
  const b = await step.run("b", () => 2);
  return Response.json({ sum: a + b });
});
`);
    await expect.poll(() => testId("endpoint").isVisible()).toBe(true);
    expect(await testId("state-table").innerText()).toContain("pong");
    await testId("endpoint").selectOption("add");
    expect(await testId("state-table").innerText()).toMatch(/add · version[\s\S]*\ba\b[\s\S]*\bb\b/);
    await page.locator("#method").selectOption("GET");
    await testId("crash").selectOption("");
    await testId("run").click();
    await expect.poll(() => runStatus("compiled"), { timeout: RUN_TIMEOUT }).toBe("done");
    expect(await testId("compiled-timeline").innerText()).toMatch(/\{"sum":3\}/);
  });

  it("shows an error thrown while the module loads, without breaking the page", async () => {
    await setSource(`import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "my-app", endpointAdapter });
const config = JSON.parse("not json");

export const handler = inngest.endpoint(async () => {
  const v = await step.run("v", () => config);
  return Response.json({ v });
});
`);
    await expect.poll(() => testId("state-table").innerText()).toMatch(/\bv\b/);
    await testId("run").click();
    await expect.poll(() => runStatus("compiled"), { timeout: RUN_TIMEOUT }).toBe("error");
    expect(await testId("compiled-timeline").innerText()).toMatch(/the module threw while loading: .*JSON/);
  });

  it("raised no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
