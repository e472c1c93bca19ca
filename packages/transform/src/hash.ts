/**
 * FNV-1a 64-bit, in pure JS (runs in the browser playground) on four 16-bit limbs:
 * BigInt arithmetic per byte was a measurable share of a transform.
 */
export function fnv1a64(text: string): string {
  // offset basis 0xcbf29ce484222325, least significant limb first
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of new TextEncoder().encode(text)) {
    h0 ^= byte;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40), mod 2^64
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (t1 >>> 16) + ((h0 << 8) & 0xffff);
    const t3 = h3 * 0x1b3 + (t2 >>> 16) + (((h0 >>> 8) | (h1 << 8)) & 0xffff);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
}
