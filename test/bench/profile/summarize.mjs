/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function
 * and per package/file, and inclusive time of our packages' functions (time in
 * the function and everything it calls), so "where does the time go" fits on
 * one screen.
 * When the target marked the part under study (profiler.mjs: window-<pid>.json
 * next to the profile), only the samples inside that window count.
 * Usage: node profile/summarize.mjs <file.cpuprofile> [top=25]
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const [file, top = "25"] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8"));
const pid = /\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1];
const windowFile = join(dirname(file), `window-${pid}.json`);
const window = pid && existsSync(windowFile) ? JSON.parse(readFileSync(windowFile, "utf8")) : { start: -Infinity, end: Infinity };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map();
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < window.start || at > window.end) continue;
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** "packages/runtime/dist/stores/sqlite.js" → a short, stable location. */
function where(url) {
  if (!url) return "(native/V8)";
  const path = url.replace(/^file:\/\//, "");
  const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  const ours = path.match(/packages\/([^/]+)\/(?:dist|src)\/(.+)$/);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return path.startsWith("node:") ? path : path.split("/").slice(-2).join("/");
}

const functions = new Map();
const files = new Map();
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const loc = where(callFrame.url);
  const fn = `${callFrame.functionName || "(anonymous)"}  ${loc}:${callFrame.lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + us);
  files.set(loc, (files.get(loc) ?? 0) + us);
}
// inclusive: each sample counts once for every distinct function of ours on its stack
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const { callFrame } = byId.get(at);
    if (!/packages\/[^/]+\/(dist|src)\//.test(callFrame.url)) continue;
    const fn = `${callFrame.functionName || "(anonymous)"}  ${where(callFrame.url)}:${callFrame.lineNumber + 1}`;
    if (seen.has(fn)) continue;
    seen.add(fn);
    inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
  }
}

const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled${Number.isFinite(window.start) ? " (marked window only)" : ""}`);
show("self time by file / package", files);
show("self time by function", functions);
show("inclusive time, functions of packages/*", inclusive);
