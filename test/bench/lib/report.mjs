/** Console tables and the results file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { round } from "./stats.mjs";

/** Prints rows (arrays of cells) under a title, columns padded to fit. */
export function printTable(title, header, rows) {
  const cells = [header, ...rows].map((row) => row.map((cell) => (typeof cell === "number" ? String(round(cell)) : String(cell))));
  const widths = header.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  console.log(`\n${title}\n${"-".repeat(title.length)}`);
  console.log(line(cells[0]));
  for (const row of cells.slice(1)) console.log(line(row));
}

/** One-line view of a metric's contenders: "name=median unit". */
function contendersCell(contenders) {
  return Object.entries(contenders)
    .map(([name, figure]) => `${name}=${round(figure.median ?? figure)}`)
    .join(" ");
}

export function printMetrics(metrics) {
  printTable(
    "Metrics",
    ["metric", "value", "unit", "contenders (medians)"],
    metrics.map((m) => [m.metric, m.value, m.unit, contendersCell(m.contenders)]),
  );
}

/** Rounds every number for the JSON file (noise is far above 3 significant digits). */
function roundDeep(value) {
  if (typeof value === "number") return round(value);
  if (Array.isArray(value)) return value.map(roundDeep);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)]));
  return value;
}

/** Writes one JSON object per metric (an array), each tagged with the run it came from. */
export function writeResults(file, metrics, run) {
  mkdirSync(dirname(file), { recursive: true });
  const objects = metrics.map((m) => roundDeep({ ...m, run }));
  writeFileSync(file, `${JSON.stringify(objects, null, 2)}\n`);
}
