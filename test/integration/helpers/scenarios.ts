import { readFileSync } from "node:fs";
import { expect } from "vitest";

/** GET without following redirects (the tests look at the 303 themselves). */
export function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, base), { redirect: "manual", headers });
}

/**
 * Follows a suspended run: long-polls its Location while sending the approval event every 250 ms
 * (an event only counts once the run waits for it, and the run reaches its wait after the sleep).
 */
export async function completeThroughPollUrl(base: string, location: string, orderId: string): Promise<Response> {
  const pollUrl = new URL(location, base);
  let done = false;
  const approving = (async () => {
    while (!done) {
      const sent = await get(base, `/api/approve?orderId=${orderId}&by=tester`);
      expect(sent.status).toBe(200);
      await sent.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const res = await fetch(pollUrl, { redirect: "manual" });
      if (res.status !== 202) return res;
      await res.arrayBuffer();
    }
    throw new Error(`run behind ${location} never finished`);
  } finally {
    done = true;
    await approving;
  }
}

/** A step, a 200 ms sleep (→ 303) and a waitForEvent answered by a second endpoint. */
export async function suspendAndComplete(base: string, orderId: string): Promise<void> {
  const first = await get(base, `/api/checkout?orderId=${orderId}&sleep=200ms`);
  expect(first.status).toBe(303);
  const location = first.headers.get("location")!;
  expect(location).toMatch(/[?&]__durable=/);
  const runId = first.headers.get("x-durable-run-id");
  expect(runId).toBeTruthy();

  const final = await completeThroughPollUrl(base, location, orderId);
  expect(final.status).toBe(200);
  expect(final.headers.get("x-durable-run-id")).toBe(runId);
  const body = await final.json();
  expect(body).toMatchObject({ orderId, amount: 42, approvedBy: "tester" });
  expect(Number.isNaN(Date.parse(body.reservedAt))).toBe(false); // a Date survived the checkpoints
}

/**
 * The compiled handler's stack trace names the original file and line (source maps end to end).
 * `line: false` checks the file only (Bun does not apply a plugin's source map: oven-sh/bun#6173).
 */
export async function stackPointsAtSource(base: string, sourceFile: string, { line = true } = {}): Promise<void> {
  const res = await get(base, "/api/trace");
  expect(res.status).toBe(200);
  const { stack } = (await res.json()) as { stack: string };
  const lines = readFileSync(sourceFile, "utf8").split("\n");
  const markerLine = lines.findIndex((line) => line.includes("TRACE-MARKER")) + 1;
  const name = sourceFile.split("/").slice(-2).join("/");
  expect(stack.split("\n")[1]).toContain(line ? `${name}:${markerLine}:` : `${name}:`);
}

/** The runtime warns once per endpoint it has to run in replay mode: a compiled build never does. */
export function expectCompiled(output: string): void {
  expect(output).not.toMatch(/is not compiled: running in replay mode/);
}

/** Counts the example's "[example] <step> <orderId>" side-effect lines in a server's output. */
export function stepRuns(output: string, step: string, orderId: string): number {
  return output.split("\n").filter((line) => line.includes(`[example] ${step} ${orderId}`)).length;
}
