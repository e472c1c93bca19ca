/**
 * For the inspector tests: the orders fixture compiled by the real compiler and run against a real
 * store (a run in every status), and the BUILT `durable ui` started as a child process on it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import type { Store } from "@durable-endpoints/runtime";
import { transform } from "@durable-endpoints/transform";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cliBin = join(repoRoot, "packages", "cli", "bin", "durable.js");

type OrdersModule = typeof import("./fixtures/orders.js");
export type OrdersApp = ReturnType<OrdersModule["ordersApp"]>;

/** Compiles fixtures/orders.ts (endpoint id "test/browser/fixtures/orders.ts#order") and loads it. */
export async function compiledOrders(): Promise<OrdersModule> {
  const source = join(repoRoot, "test", "browser", "fixtures", "orders.ts");
  const compiled = transform(readFileSync(source, "utf8"), { filename: source, root: repoRoot });
  if (compiled.diagnostics.length) throw new Error(`orders.ts did not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
  const out = join(repoRoot, "test", ".compiled", "inspector", "orders.ts");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, compiled.code);
  return (await import(out)) as OrdersModule;
}

export interface Runs {
  completed: string;
  failed: string;
  retrying: string;
  sleeping: string;
  waiting: string;
  keyed: string;
}

/** One request per mode, oldest first; returns the run ids. */
export async function populate(app: OrdersApp): Promise<Runs> {
  const call = async (query: string, expected: number, headers: Record<string, string> = {}) => {
    const res = await app.order(new Request(`http://127.0.0.1/orders?${query}`, { headers }));
    if (res.status !== expected) throw new Error(`?${query} answered ${res.status}, expected ${expected}`);
    await res.body?.cancel();
    return res.headers.get("X-Durable-Run-Id")!;
  };
  const completed = await call("mode=ok", 200);
  const failed = await call("mode=fail", 500);
  const retrying = await call("mode=retry", 303);
  const sleeping = await call("mode=sleep", 303);
  const waiting = await call("mode=event&orderId=o-1", 303);
  const keyed = await call("mode=sleep&orderId=o-2", 303, { "Idempotency-Key": "order-o-2" });
  return { completed, failed, retrying, sleeping, waiting, keyed };
}

export interface Ui {
  url: string;
  process: ChildProcess;
  /** what it printed so far (stdout and stderr) */
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `durable ui` on a free port, sources read from the repository root. */
export async function startUi(storeUrl: string, extra: string[] = []): Promise<Ui> {
  const child = spawn(process.execPath, [cliBin, "ui", "--store", storeUrl, "--port", "0", "--root", repoRoot, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DURABLE_STORE_URL: undefined },
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const match = /durable ui: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`durable ui exited (${code}): ${output}`)));
  });
  return {
    url,
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

/** Is the highlighted await of the run's state inside the visible part of the (scrolling) source pane? */
export function currentLineInView(page: Page): Promise<boolean> {
  return page.getByTestId("source").evaluate((pane) => {
    const line = pane.querySelector("li.current");
    if (!line) return false;
    const [outer, inner] = [pane.getBoundingClientRect(), line.getBoundingClientRect()];
    return inner.top >= outer.top && inner.bottom <= outer.bottom;
  });
}
