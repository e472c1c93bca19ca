#!/usr/bin/env node
/**
 * `npm run test:262`: the whole vendored selection, in worker threads, with a summary table by
 * directory per variant; exits 1 when a result disagrees with expectations.json.
 *
 *   node test/test262/cli.mjs [--filter <substring>] [--every <n>] [--variants written,steps,resume]
 *                             [--jobs <n>] [--update] [--json <file>]
 *
 * --every n: every n-th test only (the vitest sample is --every 25); --update rewrites
 * expectations.json from this run (full selection, all variants only). T262_TRANSFORM=<module>
 * runs another build of the transform (before/after figures).
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { VARIANTS, loadBundle, runTest } from "./runner.mjs";
import { readExpectations, unexpected, writeExpectations } from "./expectations.mjs";

const COLUMNS = ["wrong", "internal", "allowed", "rejected", "skip", "pass"];

/** A test with no result after this long hangs its worker (a loop that never yields, after an await: vm's timeout does not reach it). */
const HUNG_MS = 120_000;

if (!isMainThread) {
  // a test body may leave a promise rejected on purpose; V8 reports it process-wide, not to the test
  process.on("unhandledRejection", () => {});
  const bundle = loadBundle();
  parentPort.on("message", async (index) => {
    const test = bundle.tests[index];
    parentPort.postMessage({ path: test.path, results: await runTest(bundle, test, workerData.variants) });
  });
} else {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const filter = option("--filter") ?? "";
  const every = Number(option("--every") ?? 1);
  const variants = option("--variants")?.split(",") ?? VARIANTS;
  const jobs = Number(option("--jobs") ?? Math.min(2, availableParallelism()));
  const bundle = loadBundle();
  const indices = bundle.tests.flatMap((t, i) => (t.path.includes(filter) && i % every === 0 ? [i] : []));
  console.log(`test262 ${bundle.commit.slice(0, 12)}: ${indices.length} tests × ${variants.join(", ")} in ${jobs} workers`);

  const all = {};
  let seen = 0;
  const queue = [...indices];
  const record = (path, results) => {
    all[path] = results;
    if (++seen % 500 === 0) console.log(`  ${seen}/${indices.length}`);
  };
  // each worker is given one test at a time; one that hangs is recorded as internal and its worker replaced
  const work = () =>
    new Promise((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { variants } });
      let timer;
      const next = () => {
        clearTimeout(timer);
        if (queue.length === 0) return void worker.terminate().then(resolve);
        const index = queue.shift();
        timer = setTimeout(() => {
          const hung = { result: "internal", detail: `hung: no result in ${HUNG_MS / 1000} s` };
          record(bundle.tests[index].path, Object.fromEntries(variants.map((v) => [v, hung])));
          worker.removeAllListeners("error");
          void worker.terminate().then(() => work().then(resolve, reject));
        }, HUNG_MS);
        worker.postMessage(index);
      };
      worker.on("message", ({ path, results }) => {
        record(path, results);
        next();
      });
      worker.on("error", reject);
      next();
    });
  await Promise.all(Array.from({ length: jobs }, work));

  printTable(all, variants);
  const json = option("--json");
  if (json) writeFileSync(json, JSON.stringify(all, null, 1));
  if (args.includes("--update")) {
    if (filter || every !== 1 || variants.length !== VARIANTS.length) throw new Error("--update needs the full selection and every variant");
    writeExpectations(all);
    console.log("expectations.json updated");
  } else {
    const expectations = readExpectations();
    const problems = Object.entries(all).flatMap(([path, results]) => unexpected(path, results, expectations));
    for (const problem of problems) console.log(problem);
    console.log(problems.length ? `${problems.length} results differ from expectations.json` : "all results as expected");
    process.exitCode = problems.length ? 1 : 0;
  }
}

function printTable(all, variants) {
  const rows = new Map();
  const count = (dir, variant, result) => {
    const row = rows.get(dir) ?? rows.set(dir, {}).get(dir);
    const cell = (row[variant] ??= Object.fromEntries(COLUMNS.map((c) => [c, 0])));
    cell[result]++;
  };
  for (const [path, results] of Object.entries(all)) {
    const dir = path.split("/").slice(0, 2).join("/");
    for (const [variant, { result }] of Object.entries(results)) {
      count(dir, variant, result);
      count("TOTAL", variant, result);
    }
  }
  const header = ["directory".padEnd(34), ...variants.map((v) => `${v} (${COLUMNS.map((c) => c[0]).join("/")})`.padEnd(30))].join(" ");
  console.log(`\n${header}`);
  const dirs = [...rows.keys()].filter((d) => d !== "TOTAL").sort().concat("TOTAL");
  for (const dir of dirs) {
    const row = rows.get(dir);
    console.log([dir.padEnd(34), ...variants.map((v) => (row[v] ? COLUMNS.map((c) => row[v][c]).join("/") : "-").padEnd(30))].join(" "));
  }
  console.log(`columns: ${COLUMNS.join(" / ")}\n`);
}
