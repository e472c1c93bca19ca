/**
 * A deterministic sample of the test262 differential run (every 25th vendored test, all three
 * variants): compiled vs plain, with expectations.json as the list of known failures. The whole
 * selection: `npm run test:262`.
 */
import { describe, expect, it } from "vitest";
import { readExpectations, unexpected } from "./expectations.mjs";
import { loadBundle, runTest } from "./runner.mjs";

const bundle = loadBundle();
const expectations = readExpectations();
const SAMPLE_EVERY = 25;
const sample = bundle.tests.filter((_: unknown, i: number) => i % SAMPLE_EVERY === 0);

describe(`test262 sample (${sample.length} of ${bundle.tests.length} tests)`, () => {
  it.each(sample.map((test: { path: string }) => [test.path, test]))("%s", async (path, test) => {
    expect(unexpected(path, await runTest(bundle, test), expectations)).toEqual([]);
  });
});
