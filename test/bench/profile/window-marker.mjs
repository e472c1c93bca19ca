/**
 * Preloaded (`--import`) into a server process under profile (http.mjs): SIGUSR2
 * starts the window under study, SIGTERM ends it. Writes DIR/window-<pid>.json
 * (as profiler.mjs does, so summarize.mjs counts only the samples inside) with
 * the CPU time the process used in the window, before the server's own SIGTERM
 * handler exits.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const dir = process.execArgv.find((arg) => arg.startsWith("--cpu-prof-dir="))?.slice("--cpu-prof-dir=".length);
let start = null;
let cpu = null;
process.on("SIGUSR2", () => {
  start = monotonicUs();
  cpu = process.cpuUsage();
});
process.prependListener("SIGTERM", () => {
  if (!dir || start === null) return;
  const { user, system } = process.cpuUsage(cpu);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `window-${process.pid}.json`), JSON.stringify({ start, end: monotonicUs(), cpuUs: user + system }));
});
