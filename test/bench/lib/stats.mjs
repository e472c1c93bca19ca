/** Small statistics helpers: the bench reports medians (robust on a shared, noisy machine). */

export function median(values) {
  return quantile(values, 0.5);
}

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median plus spread, so a reader can see how noisy a figure was (p99 interpolated: with few samples, near the max). */
export function summarize(samples) {
  return {
    median: median(samples),
    p99: quantile(samples, 0.99),
    min: Math.min(...samples),
    max: Math.max(...samples),
    n: samples.length,
  };
}

/** Rounds to 3 significant digits for display and JSON (the noise is larger than that). */
export function round(value) {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}
