/**
 * FNV-1a 64-bit, in pure JS (runs in the browser playground) on four 16-bit limbs:
 * BigInt arithmetic per byte was a measurable share of a transform. Incremental: the
 * version hash is fed the handler's normalized text piece by piece, never built whole
 * (a chunk of a few KB at a time).
 */
export class Fnv1a64 {
  // offset basis 0xcbf29ce484222325, least significant limb first
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;
  /** a high surrogate that ended the last chunk: it pairs with the next chunk's first character */
  private pending = -1;
  /** pieces not hashed yet: hashed a few KB at a time (a call per small piece cost more than the bytes) */
  private buffered = "";

  update(text: string): this {
    this.buffered += text;
    if (this.buffered.length >= 4096) this.flush();
    return this;
  }

  /** 16 hex digits */
  digest(): string {
    this.flush();
    if (this.pending !== -1) {
      this.pending = -1;
      this.hash("\ufffd");
    }
    return [this.h3, this.h2, this.h1, this.h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
  }

  private flush(): void {
    this.hash(this.buffered);
    this.buffered = "";
  }

  /** Hashes the UTF-8 of `text` as TextEncoder encodes it (a lone surrogate as U+FFFD), without encoding it into a buffer. */
  private hash(text: string): void {
    let { h0, h1, h2, h3 } = this;
    const step = (byte: number) => {
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
    };
    const char = (c: number) => {
      if (c < 0x80) step(c);
      else if (c < 0x800) {
        step(0xc0 | (c >> 6));
        step(0x80 | (c & 0x3f));
      } else if (c < 0x10000) {
        step(0xe0 | (c >> 12));
        step(0x80 | ((c >> 6) & 0x3f));
        step(0x80 | (c & 0x3f));
      } else {
        step(0xf0 | (c >> 18));
        step(0x80 | ((c >> 12) & 0x3f));
        step(0x80 | ((c >> 6) & 0x3f));
        step(0x80 | (c & 0x3f));
      }
    };
    let high = this.pending;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (high !== -1) {
        const paired = c >= 0xdc00 && c <= 0xdfff;
        char(paired ? 0x10000 + ((high - 0xd800) << 10) + (c - 0xdc00) : 0xfffd);
        high = -1;
        if (paired) continue;
      }
      if (c >= 0xd800 && c <= 0xdbff) high = c;
      else char(c >= 0xdc00 && c <= 0xdfff ? 0xfffd : c);
    }
    Object.assign(this, { h0, h1, h2, h3, pending: high });
  }
}

export function fnv1a64(text: string): string {
  return new Fnv1a64().update(text).digest();
}
