/**
 * The HTTP fuzz, quick mode: 5,000 hostile requests against a real node:http server (toNodeHandler,
 * built runtime, SQLite store) over 8 keep-alive connections. The long mode is `npm run fuzz:http`.
 * HTTP_FUZZ_SEED / HTTP_FUZZ_REQUESTS override the seed (default: fixed) and the count.
 */
import { expect, test } from "vitest";
import { problems, runFuzz } from "./driver.mjs";

test("hostile HTTP: no undocumented 5xx, no hung or dropped connection, no off-origin redirect, no cross-caller run, bounded RSS", async () => {
  const seed = Number(process.env.HTTP_FUZZ_SEED ?? 20240601);
  const requests = Number(process.env.HTTP_FUZZ_REQUESTS ?? 5000);
  const report = await runFuzz({ requests, seed });
  const { hung, dropped, offOrigin, violations, unexpectedServerErrors, ...figures } = report;
  console.log(`[http-fuzz] ${JSON.stringify({ ...figures, hung: hung.length, dropped: dropped.length, offOrigin: offOrigin.length, violations: violations.length })}`);
  expect(report.requests).toBe(requests);
  expect(problems(report), `seed ${seed}`).toEqual([]);
});
