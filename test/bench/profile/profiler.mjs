/**
 * Marks the part of a profiling target under study. Run the target with
 * `node --cpu-prof --cpu-prof-dir=DIR`: `profiled(fn)` writes DIR/window-<pid>.json
 * (the monotonic µs when `fn` started and ended, V8's profile clock), and
 * summarize.mjs then counts only the samples inside it — setup and module
 * loading stay out of the figures.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export async function profiled(fn) {
  const dirFlag = process.execArgv.find((arg) => arg.startsWith("--cpu-prof-dir="));
  const start = monotonicUs();
  try {
    return await fn();
  } finally {
    if (dirFlag) {
      const dir = dirFlag.slice("--cpu-prof-dir=".length);
      mkdirSync(dir, { recursive: true }); // V8 creates it only when it writes the profile, at exit
      writeFileSync(join(dir, `window-${process.pid}.json`), JSON.stringify({ start, end: monotonicUs() }));
    }
  }
}
