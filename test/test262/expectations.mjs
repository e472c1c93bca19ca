/**
 * Known failures: expectations.json maps a test path to the variants that fail and how
 * ("wrong" or "internal"). A run fails on any failure not listed AND on any listed failure that
 * no longer happens (a fixed test must leave the file), so the list cannot rot.
 */
import { readFileSync, writeFileSync } from "node:fs";

const FILE = new URL("./expectations.json", import.meta.url);
export const FAILURES = new Set(["wrong", "internal"]);

export const readExpectations = () => JSON.parse(readFileSync(FILE, "utf8"));

/** What `results` ({ variant: { result } }) of one test disagree with in its expectations. */
export function unexpected(path, results, expectations) {
  const expected = expectations[path] ?? {};
  const problems = [];
  for (const [variant, { result, detail }] of Object.entries(results)) {
    const listed = expected[variant];
    if (FAILURES.has(result) && listed !== result) problems.push(`${path} [${variant}]: ${result}${listed ? ` (listed as ${listed})` : ""}: ${detail}`);
    else if (!FAILURES.has(result) && listed) problems.push(`${path} [${variant}]: listed as ${listed} but now ${result} — remove it from test/test262/expectations.json`);
  }
  return problems;
}

/** The expectations for a full run's results (path → variant → failure), sorted. */
export function writeExpectations(all) {
  const out = {};
  for (const path of Object.keys(all).sort()) {
    const failing = Object.entries(all[path]).filter(([, r]) => FAILURES.has(r.result));
    if (failing.length) out[path] = Object.fromEntries(failing.map(([variant, r]) => [variant, r.result]));
  }
  writeFileSync(FILE, JSON.stringify(out, null, 1).replace(/\n  +/g, " ").replace(/\n }/g, " }") + "\n");
}
