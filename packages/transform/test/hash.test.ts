import { describe, expect, it } from "vitest";
import { Fnv1a64, fnv1a64 } from "../src/hash.js";

/** Reference FNV-1a 64 with BigInt (the limb version must agree with it). */
function reference(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, "0");
}

describe("fnv1a64", () => {
  it("matches the published test vectors and a BigInt reference", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
    for (const text of ["x", "héllo wörld", "{\"type\":\"File\"}".repeat(50), String.fromCharCode(...Array.from({ length: 300 }, (_, i) => i))]) {
      expect(fnv1a64(text)).toBe(reference(text));
    }
  });

  it("hashes the UTF-8 of astral characters and lone surrogates as TextEncoder encodes them", () => {
    for (const text of ["😀", "a😀b", "\ud83d", "x\ude00y", "\ude00\ud83d", "\ud83d\ud83d\ude00", "\u0800\uffff\u07ff"]) {
      expect(fnv1a64(text)).toBe(reference(text));
    }
  });

  it("hashes a text given in pieces as the whole text, a surrogate pair split between pieces included", () => {
    const text = "a😀é\ud83d|😀\ude00z";
    for (let cut = 0; cut <= text.length; cut++) {
      for (let second = cut; second <= text.length; second++) {
        const hash = new Fnv1a64().update(text.slice(0, cut)).update(text.slice(cut, second)).update(text.slice(second));
        expect(hash.digest()).toBe(reference(text));
      }
    }
    expect(new Fnv1a64().update("\ud83d").digest()).toBe(reference("\ud83d"));
    // long texts are hashed a chunk at a time: a pair may straddle two chunks
    for (const length of [4095, 4096, 9000]) {
      const long = "a".repeat(length);
      expect(new Fnv1a64().update(`${long}\ud83d`).update("\ude00b").update(long).digest()).toBe(reference(`${long}😀b${long}`));
      expect(new Fnv1a64().update(`${long}\ud83d`).digest()).toBe(reference(`${long}\ud83d`));
    }
  });
});
