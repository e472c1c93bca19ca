import { describe, expect, test } from "vitest";
import { parseDuration } from "@durable-endpoints/runtime";

describe("durations", () => {
  test.each([
    [0, 0],
    [1500, 1500],
    ["500ms", 500],
    ["1.5s", 1500],
    ["30s", 30_000],
    ["1m", 60_000],
    ["1h30m", 5_400_000],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    ["1h 30m 15s", 5_415_000],
    ["2 hours", 7_200_000],
    ["250", 250],
    ["0.25ms", 0.25],
  ] as const)("%j → %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each([["", "empty"], ["abc", "word"], ["10 parsecs", "unit"], ["-5s", "negative"], ["1h-30m", "junk"], [-1, "negative ms"], [NaN, "NaN"], [Infinity, "Infinity"]])(
    "%j is rejected (%s), never a zero sleep",
    (input) => {
      expect(() => parseDuration(input as string)).toThrow(/Invalid duration|unknown unit/);
    },
  );
});
