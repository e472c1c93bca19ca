import { describe, expect, it } from "vitest";
import { fnv1a64 } from "../src/hash.js";

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
});
