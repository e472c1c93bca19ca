/**
 * An endpoint compiled by the Babel plugin (the transform's default export;
 * in a Babel config file: `plugins: ["module:@durable-endpoints/transform"]`),
 * then tested with the kit.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { transformAsync } from "@babel/core";
import { expect, it } from "vitest";
import { testEndpoint } from "@durable-endpoints/test";
import durable from "@durable-endpoints/transform";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const outDir = fileURLToPath(new URL("../.out/", import.meta.url));

const source = `
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";

const inngest = new Inngest({ id: "babel-example", endpointAdapter });
export const ran = { quote: 0 };

export const quote = inngest.endpoint(async (req) => {
  const symbol = new URL(req.url).searchParams.get("symbol");
  const price = await step.run("quote", () => (ran.quote++, 42));
  await step.sleep("settle", "1h");
  return Response.json({ symbol, price });
});
`;

it("a handler compiled by the Babel plugin runs compiled, sleeps on virtual time and survives a crash", async () => {
  const file = `${outDir}babel-quote.mjs`;
  const compiled = await transformAsync(source, { filename: file, cwd: repoRoot, babelrc: false, configFile: false, plugins: [durable] });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(file, compiled!.code!);
  const { quote, ran } = await import(/* @vite-ignore */ file);

  const t = testEndpoint(quote);
  expect(t.mode).toBe("compiled");
  t.crashAfter("quote", { resume: true });
  expect((await t.request("/quote?symbol=ACME")).status).toBe(303);
  await t.advance("1h");
  expect(await (await t.result()).json()).toEqual({ symbol: "ACME", price: 42 });
  expect(ran.quote).toBe(1);
  expect(t.checkNoReplay().resumes).toBeGreaterThan(0);
});
