/**
 * Side-by-side measurement. Contenders run interleaved in one process, round after
 * round, with the order rotated each round, so a burst of load from another
 * process on this shared machine hits every contender alike. Each contender is an
 * async function that does its own setup and returns the milliseconds of the part
 * being measured (so setup never counts) — or an object of named figures, each
 * summarized on its own (e.g. requests/s and p99 of one load run).
 */
import { summarize } from "./stats.mjs";

/**
 * @param {Record<string, () => Promise<number>>} contenders
 * @param {{ rounds: number, warmup?: number }} options
 * @returns {Promise<Record<string, Summary | Record<string, Summary>>>}
 */
export async function compare(contenders, { rounds, warmup = 1 }) {
  const names = Object.keys(contenders);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = -warmup; round < rounds; round++) {
    const shift = ((round % names.length) + names.length) % names.length;
    const order = [...names.slice(shift), ...names.slice(0, shift)];
    for (const name of order) {
      const ms = await contenders[name]();
      if (round >= 0) samples[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarizeSamples(samples[name])]));
}

function summarizeSamples(samples) {
  if (typeof samples[0] === "number") return summarize(samples);
  return Object.fromEntries(Object.keys(samples[0]).map((key) => [key, summarize(samples.map((s) => s[key]))]));
}

/** Milliseconds taken by `fn`. */
export async function time(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** A metric in the shape written to results/latest.json. */
export function metric(name, value, unit, contenders, note) {
  return { metric: name, value, unit, contenders, ...(note ? { note } : {}) };
}

/** A ratio metric `a ÷ b` built from two summaries. */
export function ratio(name, results, numerator, denominator, note) {
  return metric(
    name,
    results[numerator].median / results[denominator].median,
    "x",
    { [numerator]: results[numerator], [denominator]: results[denominator] },
    note,
  );
}
