import { describe, expect, it } from "vitest";
import { createFileFilter } from "../src/filter.js";

describe("include / exclude", () => {
  it("defaults to JS/TS modules outside node_modules, ignoring queries and virtual ids", () => {
    const accepts = createFileFilter(undefined, undefined, "/app");
    expect(accepts("/app/src/a.ts")).toBe(true);
    expect(accepts("/app/src/a.mts?v=123")).toBe(true);
    expect(accepts("/app/src/a.tsx")).toBe(true);
    expect(accepts("/app/src/a.css")).toBe(false);
    expect(accepts("/app/node_modules/x/index.js")).toBe(false);
    expect(accepts("\0virtual:a.ts")).toBe(false);
  });

  it("matches globs against root-relative and absolute paths, and RegExps anywhere", () => {
    const accepts = createFileFilter(["src/api/**", /routes/], ["**/*.test.ts"], "/app");
    expect(accepts("/app/src/api/checkout.ts")).toBe(true);
    expect(accepts("/app/lib/routes.ts")).toBe(true);
    expect(accepts("/app/src/other.ts")).toBe(false);
    expect(accepts("/app/src/api/checkout.test.ts")).toBe(false);
  });
});
