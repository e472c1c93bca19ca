/**
 * Real handlers compiled by @durable-endpoints/transform, then run by this
 * runtime: the two halves of machine.ts agree.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { transform } from "@durable-endpoints/transform";
import { follow, req, sleep } from "./helpers.js";

const dir = mkdtempSync(join(fileURLToPath(new URL(".", import.meta.url)), ".compiled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header = `
import { Inngest, NonRetriableError, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { memoryStore } from "@durable-endpoints/runtime/memory";
export const log: string[] = [];
export const warnings: string[] = [];
const quiet = { info() {}, warn: (message: string) => warnings.push(message), error() {} };
export const inngest = new Inngest({ id: "compiled", endpointAdapter, store: memoryStore(), logger: quiet, backoff: { initial: 5, max: 5 } });
`;

/** Compiles `source` (a module), writes it next to this test and imports it. */
async function compile(name: string, body: string) {
  const source = header + body;
  const result = transform(source, { filename: `${name}.ts` });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors, errors.map((e) => e.message).join("\n")).toEqual([]);
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, result.code);
  const module = await import(file);
  return { module, result };
}

describe("handlers compiled by the transform", () => {
  test("loop + sleep + caught NonRetriableError: compiled machine, exact result, each step once", async () => {
    const { module, result } = await compile(
      "prices",
      `
export const handler = inngest.endpoint(async (req: Request) => {
  log.push("top");
  const ids = new URL(req.url).searchParams.getAll("id");
  let total = 0;
  for (const id of ids) {
    const item = await step.run("price", () => { log.push("price " + id); return { price: Number(id) }; });
    total += item.price;
  }
  await step.sleep("cool-down", "20ms");
  let failed = "";
  try {
    await step.run("charge", () => { log.push("charge"); throw new NonRetriableError("declined"); });
  } catch (error) {
    failed = (error as Error).message;
  }
  return Response.json({ total, failed });
});
`,
    );
    expect(result.endpoints).toHaveLength(1);
    const final = await follow(module.handler, await module.handler(req("/api/prices?id=1&id=2&id=3")));
    expect(await final.json()).toEqual({ total: 6, failed: "declined" });
    // the code before the sleep ran once: resumed at the sleep's state, not from the top
    expect(module.log).toEqual(["top", "price 1", "price 2", "price 3", "charge"]);
    expect(module.warnings.filter((w: string) => /not compiled/.test(w))).toEqual([]);
    await module.inngest.close();
  });

  test("retry resumes at the failing step; Promise.all; helper with ambient step", async () => {
    const { module } = await compile(
      "mixed",
      `
let flaky = 0;
async function double(n: number) {
  return step.run("double", () => n * 2);
}
export const handler = inngest.endpoint(async (req: Request) => {
  log.push("top");
  const [a, b] = await Promise.all([step.run("a", () => 1), step.run("b", () => 2)]);
  const c = await step.run("flaky", () => {
    log.push("flaky");
    if (++flaky < 2) throw new Error("transient");
    return 3;
  });
  const d = await double(a + b + c);
  return Response.json({ a, b, c, d });
});
`,
    );
    const first = await module.handler(req("/api/mixed"));
    expect(first.status).toBe(303);
    const final = await follow(module.handler, first);
    expect(await final.json()).toEqual({ a: 1, b: 2, c: 3, d: 12 });
    expect(module.log).toEqual(["top", "flaky", "flaky"]);
    expect(module.warnings.filter((w: string) => /not compiled/.test(w))).toEqual([]);
    await sleep(0);
    await module.inngest.close();
  });

  test("a resumed run gets frozen and read-only locals back exactly; a local with a getter fails the checkpoint without calling it", async () => {
    const { module } = await compile(
      "exact",
      `
export let getterCalls = 0;
export const handler = inngest.endpoint(async (req: Request) => {
  const config = Object.freeze({ region: "eu", limits: Object.freeze([1, 2]) });
  const ids = Object.defineProperty({}, "id", { value: 7, enumerable: false });
  await step.sleep("pause", "30ms");
  const writes = Reflect.set(config, "region", "us") || Reflect.set(ids, "id", 8);
  return Response.json({ frozen: Object.isFrozen(config) && Object.isFrozen(config.limits), writes, region: config.region, id: ids.id, keys: Object.keys(ids) });
});
export const lazy = inngest.endpoint(async (req: Request) => {
  const settings = { get mode() { getterCalls++; return "fast"; } };
  await step.sleep("pause", "30ms");
  return Response.json({ mode: settings.mode });
});
`,
    );
    const first = await module.handler(req("/api/exact"));
    expect(first.status).toBe(303);
    const final = await follow(module.handler, first);
    expect(await final.json()).toEqual({ frozen: true, writes: false, region: "eu", id: 7, keys: [] });
    const refused = await module.lazy(req("/api/lazy"));
    expect(refused.status).toBe(500);
    expect((await refused.json()).error.message).toMatch(/local "settings" holds an accessor property \(getter\/setter\) cannot be saved.* at settings\.mode/);
    expect(module.getterCalls).toBe(0);
    await module.inngest.close();
  });

  test("a caught step error held by a local survives a resume exactly; a local holding an Error subclass instance fails the checkpoint naming it", async () => {
    const { module } = await compile(
      "errors",
      `
import { StepError } from "@durable-endpoints/runtime";
class PaymentError extends Error {
  override name = "PaymentError";
}
export const handler = inngest.endpoint(async (req: Request) => {
  let failure: unknown = null;
  try {
    await step.run("charge", () => { throw new PaymentError("declined", { cause: new RangeError("limit") }); });
  } catch (error) {
    failure = error;
  }
  const parsed = (() => { try { return JSON.parse("{"); } catch (error) { return error; } })();
  await step.sleep("pause", "30ms");
  const e = failure as StepError;
  const cause = e.cause as Error;
  return Response.json({
    stepError: e instanceof StepError, stepId: e.stepId, message: e.message, name: e.name,
    cause: [Object.getPrototypeOf(cause) === Error.prototype, cause.name, cause.message, cause.cause instanceof RangeError && (cause.cause as Error).message],
    parsed: parsed instanceof SyntaxError && Object.hasOwn(parsed, "message"),
  });
});
export const kept = inngest.endpoint(async (req: Request) => {
  // assigned, so saved (not re-created on resume)
  let pending: Error | null = null;
  pending = new PaymentError("not charged yet");
  await step.sleep("pause", "30ms");
  return new Response(pending.message);
});
`,
    );
    const first = await module.handler(req("/api/errors"));
    expect(first.status).toBe(303);
    const final = await follow(module.handler, first);
    expect(await final.json()).toEqual({ stepError: true, stepId: "charge", message: "declined", name: "StepError", cause: [true, "PaymentError", "declined", "limit"], parsed: true });
    const refused = await module.kept(req("/api/kept"));
    expect(refused.status).toBe(500);
    expect((await refused.json()).error.message).toMatch(/local "pending" holds an error of class PaymentError cannot be saved/);
    await module.inngest.close();
  });

  /**
   * Compiles and starts an endpoint of a client whose clock the handler may set back (`clock.offset`); `body` is
   * the handler's code after its `log.push("top")`. `stepReaches(id)` waits until the run's step `id` is waiting.
   */
  async function setBackRun(name: string, body: string) {
    const { module } = await compile(
      name,
      `
import { realClock, withClock } from "@durable-endpoints/runtime/testing";
export const clock = { offset: 0 };
export const store = memoryStore();
export const setBack = new Inngest(withClock({ id: "${name}", endpointAdapter, store, logger: quiet }, { ...realClock, now: () => realClock.now() + clock.offset }));
export const handler = setBack.endpoint(async () => {
  log.push("top");
${body}
});
`,
    );
    const first = await module.handler(req(`/api/${name}`));
    const runId = first.headers.get("x-durable-run-id")!;
    const stepReaches = async (stepId: string) => {
      for (let i = 0; i < 400 && (await module.store.getStep(runId, stepId))?.status !== "waiting"; i++) await sleep(5);
    };
    return { module, first, runId, stepReaches, answer: async () => (await follow(module.handler, first)).json() };
  }

  test("what a compiled run's waits received is saved with its state: a later wait on a clock set back does not take it", async () => {
    const { module, stepReaches, answer } = await setBackRun(
      "seen",
      `
  const a = await step.waitForEvent("first", { event: "ping", timeout: "1h" });
  // the machine's clock is set back a minute (or the run moves to an instance whose clock is behind)
  await step.run("set back", () => void (clock.offset = -60_000));
  await step.sleep("pause", "1ms");
  const b = await step.waitForEvent("second", { event: "ping", timeout: "2h" });
  return Response.json({ a: a?.id, b: b?.id });`,
    );
    await stepReaches("first");
    await module.setBack.send({ name: "ping", id: "one" });
    await stepReaches("second");
    await sleep(20);
    await module.setBack.send({ name: "ping", id: "two", ts: Date.now() });
    expect(await answer()).toEqual({ a: "one", b: "two" });
    // resumed at its states, never from the top
    expect(module.log).toEqual(["top"]);
    await module.setBack.close();
  });

  test("what a compiled run has seen of events stays small however many waits it has: the saved counters do not grow with them", async () => {
    const { module } = await compile(
      "many-waits",
      `
export const handler = inngest.endpoint(async () => {
  const got: string[] = [];
  for (let i = 0; i < 30; i++) {
    const message = await step.waitForEvent("message", { event: "chat/message", timeout: "1h" });
    got.push(message!.id);
  }
  return Response.json(got.length);
});
`,
    );
    const { handler, inngest } = module;
    const first = await handler(req("/api/many-waits"));
    const runId = first.headers.get("x-durable-run-id")!;
    const store = await inngest.services.store();
    for (let i = 0; i < 30; i++) {
      const id = i === 0 ? "message" : `message:${i}`;
      for (let t = 0; t < 400 && (await store.getStep(runId, id))?.status !== "waiting"; t++) await sleep(5);
      const saved = (await store.getRun(runId))!.counters ?? "";
      // one counter, when the run last saw an event, and the events of that millisecond or a ts ahead: a few
      expect(saved.length).toBeLessThan(120);
      await inngest.send({ name: "chat/message", id: `m${i}` });
    }
    expect(await (await follow(handler, first)).json()).toBe(30);
    await inngest.close();
  });

  test("a compiled run never takes an event its waits received, even once its clock passed the event's ts and was then set back", async () => {
    const { module, runId, stepReaches, answer } = await setBackRun(
      "seen-forgotten",
      `
  const a = await step.waitForEvent("first", { event: "ping", timeout: "1h" });
  // begins after "one" was sent, by a clock that reads past its ts
  const b = await step.waitForEvent("second", { event: "ping", timeout: "1h" });
  // the machine's clock is set back a minute (or the run moves to an instance whose clock is behind)
  await step.run("set back", () => void (clock.offset = -60_000));
  await step.sleep("pause", "1ms");
  const c = await step.waitForEvent("third", { event: "ping", timeout: "2h" });
  return Response.json({ a: a?.id, b: b?.id, c: c?.id });`,
    );
    const { setBack, store } = module;
    await stepReaches("first");
    await setBack.send({ name: "ping", id: "one" });
    await stepReaches("second");
    await sleep(5);
    await setBack.send({ name: "ping", id: "two" });
    await stepReaches("third");
    await sleep(20);
    // "one" (stored a minute after the third wait's since, by the clock set back) was received by "first"
    expect(await store.getStep(runId, "third")).toMatchObject({ status: "waiting" });
    await setBack.send({ name: "ping", id: "three", ts: Date.now() });
    expect(await answer()).toEqual({ a: "one", b: "two", c: "three" });
    expect(module.log).toEqual(["top"]);
    await setBack.close();
  });
});
