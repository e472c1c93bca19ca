// CI-sized chaos run (200 runs): three app instances on one Postgres schema, a SIGKILL every few
// hundred ms, one Postgres restart. Workers run the BUILT runtime: `npx turbo run build
// --filter=@durable-endpoints/runtime --filter=@durable-endpoints/transform` first (`npm test` does).
// The full run is `npm run chaos` (1,000 runs).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
// Plain .mjs, shared with chaos-cli.mjs (which runs on bare Node).
import { runChaos } from "./chaos.mjs";
import { verdict } from "./verdict.mjs";

const built = fileURLToPath(new URL("../../packages/runtime/dist/stores/postgres.js", import.meta.url));

it("200 runs on 3 instances sharing Postgres survive SIGKILLs and a Postgres restart", async () => {
  expect(existsSync(built), "build the runtime first: npx turbo run build --filter=@durable-endpoints/runtime").toBe(true);
  const report = await runChaos({ runs: 200, log: (line: string) => console.log(`[chaos] ${line}`) });
  const { wrongResponses, replayMismatches, unexpectedExits, ...figures } = report;
  console.log(`[chaos] report ${JSON.stringify({ ...figures, wrongResponses: wrongResponses.length, replayMismatches: replayMismatches.length, unexpectedExits: unexpectedExits.length }, null, 2)}`);
  for (const exit of unexpectedExits) console.log(`[chaos] worker ${exit.pid} died on its own (${exit.code ?? exit.signal}):\n${exit.stderr}`);
  if (wrongResponses.length > 0) console.log(`[chaos] wrong responses (first 5): ${JSON.stringify(wrongResponses.slice(0, 5), null, 2)}`);
  expect(verdict(report)).toEqual([]);
  // The run really was chaotic: instances died, a store outage happened, bodies re-ran after kills.
  expect(report.kills).toBeGreaterThan(5);
  expect(report.postgresRestart.tookMs).toBeGreaterThan(0);
  expect(report.effects.exactlyOnce).toBeGreaterThan(0);
  expect(report.storedRuns).toEqual({ completed: 200 });
  // Half the runs use the endpoint compiled by @durable-endpoints/transform (its dist must be built too).
  expect(report.compiled).toBe("yes");
}, 600_000);
