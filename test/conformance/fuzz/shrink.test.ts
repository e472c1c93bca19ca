/**
 * The fuzzer's failure path: with a deliberately broken compilation (one
 * live local dropped from every machine), generated programs must fail, and
 * the shrinker must cut a failing program down to a smaller one that still
 * fails the same way and still loads as a corpus module.
 */
import { expect, test } from "vitest";
import type { MachineMutation } from "../harness/process.js";
import { generate } from "./generate.js";
import type { Program, Stmt } from "./program.js";
import { check, shrinkFailure } from "./run.js";

const dropEveryLocal: MachineMutation = (machine) => ({
  ...machine,
  live: Object.fromEntries(Object.keys(machine.live as object).map((state) => [state, []])),
});

const size = (stmts: Stmt[]): number =>
  stmts.reduce((n, s) => {
    if (s.k === "if") return n + 1 + size(s.then) + size(s.else ?? []);
    if (s.k === "loop") return n + 1 + size(s.body);
    if (s.k === "switch") return n + 1 + s.cases.reduce((m, c) => m + size(c.body), 0);
    if (s.k === "try") return n + 1 + size(s.body) + size(s.handler ?? []) + size(s.finalizer ?? []);
    return n + 1;
  }, 0);

test("a broken compilation is caught by generated programs and shrunk", { timeout: 600_000 }, async () => {
  const options = { crashPoints: 4, mutate: dropEveryLocal };
  let failing: { program: Program; result: Awaited<ReturnType<typeof check>> } | undefined;
  for (let seed = 1; seed <= 30 && !failing; seed++) {
    const program = generate(seed);
    const result = await check(program, options);
    if (result.problems.length) failing = { program, result };
  }
  expect(failing, "no generated program noticed that the machines save no locals").toBeDefined();

  const smallest = await shrinkFailure(failing!.program, failing!.result, options);
  expect(size(smallest.body)).toBeLessThan(size(failing!.program.body));
  expect((await check(smallest, options)).problems.length).toBeGreaterThan(0);
  expect((await check(smallest, { crashPoints: 4 })).problems).toEqual([]);
});
