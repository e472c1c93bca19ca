import { test, expect } from "vitest";
import { isMachine } from "@durable-endpoints/runtime";
test("source condition resolves", () => { expect(isMachine({ durable: 1, resume() {} })).toBe(true); });
