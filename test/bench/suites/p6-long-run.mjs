/**
 * P6 long runs: one request running a very long loop of trivial steps (compiled,
 * SQLite store). Does a step cost the same at the end as at the start? Timestamps
 * are taken from outside the runtime, at every 1,000th checkpoint.
 * --full: 1,000,000 steps; default: 300,000; --quick: 100,000.
 */
import { metric } from "../lib/harness.mjs";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { recordingStore } from "../lib/recording-store.mjs";
import { printTable } from "../lib/report.mjs";
import { median } from "../lib/stats.mjs";
import { call, finalJson, openStore, withClient } from "../contenders/ours.mjs";

const STEPS = { quick: 100_000, default: 300_000, full: 1_000_000 };
const WINDOW = 1000;

export async function run({ mode, tmp }) {
  const steps = STEPS[mode];
  const compiled = await loadEndpoints("compiled");
  const sqlite = openStore("sqlite", tmp, "p6");
  // warm the JIT first, so "first 1k" measures the runtime and not V8's tiers
  await withClient(compiled, sqlite, async (ep) => finalJson(await call(ep.trivialSteps, `/steps?n=${5 * WINDOW}`), "warm-up"));

  const recorder = recordingStore(sqlite, { markEvery: WINDOW });
  const started = performance.now();
  const body = await withClient(
    compiled,
    recorder.store,
    async (ep) => finalJson(await call(ep.trivialSteps, `/steps?n=${steps}`), "long run"),
    { maxSteps: 2 * steps }, // the default limit is exactly 1,000,000 steps per run
  );
  const totalMs = performance.now() - started;
  if (body.last !== steps - 1) throw new Error(`long run: unexpected body ${JSON.stringify(body)}`);
  await sqlite.close();

  const { marks } = recorder.log;
  const first = ((marks[1] - marks[0]) * 1000) / (WINDOW - 1); // checkpoints 1 → 1000
  const last = ((marks.at(-1) - marks.at(-2)) * 1000) / WINDOW;
  const windows = marks.slice(1).map((t, i) => ((t - marks[i]) * 1000) / WINDOW);
  const worst = Math.max(...windows.slice(1));
  // one 1k window is noisy on a shared machine: the medians of the first and last ten windows, for context
  const firstTen = median(windows.slice(0, 10));
  const lastTen = median(windows.slice(-10));
  printTable(
    `P6 one run of ${steps.toLocaleString("en")} steps (SQLite)`,
    ["figure", "value"],
    [
      ["µs/step, first 1k", first],
      ["µs/step, last 1k", last],
      ["µs/step, median of first ten 1k windows", firstTen],
      ["µs/step, median of last ten 1k windows", lastTen],
      ["µs/step, worst 1k window", worst],
      ["µs/step, whole run", (totalMs * 1000) / steps],
    ],
  );
  return [
    metric("P6.last_vs_first_1k", last / first, "x", {
      first_1k_us_per_step: first,
      last_1k_us_per_step: last,
      whole_run_us_per_step: (totalMs * 1000) / steps,
      last_ten_over_first_ten_windows: lastTen / firstTen,
      steps,
    }, mode === "full" ? "1,000,000 steps" : `${steps} steps in ${mode} mode (1,000,000 with --full)`),
  ];
}
