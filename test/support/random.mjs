/** mulberry32: small, fast, good enough to fuzz with, and reproducible from a seed (the fault plans and the HTTP fuzz). */
export function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** an integer in [0, n) */
  const int = (n) => Math.floor(next() * n);
  /** an integer in [from, to] */
  const between = (from, to) => from + int(to - from + 1);
  const pick = (list) => list[int(list.length)];
  /** picks from `[weight, value]` pairs */
  const weighted = (pairs) => {
    let roll = next() * pairs.reduce((sum, [w]) => sum + w, 0);
    for (const [w, value] of pairs) if ((roll -= w) < 0) return value;
    return pairs[pairs.length - 1][1];
  };
  const chance = (p) => next() < p;
  return { next, int, between, pick, weighted, chance };
}
