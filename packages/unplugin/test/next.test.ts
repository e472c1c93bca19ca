import { describe, expect, it } from "vitest";
import { withDurable } from "../src/next.js";

const RULE_KEY = "**/*.{js,jsx,mjs,cjs,ts,tsx,mts,cts}";

describe("withDurable (Next.js config)", () => {
  it("adds the loader for Turbopack (app files that can need compiling) and keeps other keys", () => {
    const config = withDurable({ distDir: "out", turbopack: { resolveAlias: { a: "b" } } }, { alias: true, exclude: /legacy/ });
    expect(config.distDir).toBe("out");
    expect(config.turbopack.resolveAlias).toEqual({ a: "b" });
    const rule = config.turbopack.rules?.[RULE_KEY] as { loaders: { loader: string; options: unknown }[]; condition: unknown };
    expect(rule.loaders[0]!.loader).toMatch(/next-loader\.js$/);
    // Turbopack options must be JSON: RegExps travel as { source, flags }.
    expect(JSON.parse(JSON.stringify(rule.loaders[0]!.options))).toEqual({ alias: true, exclude: [{ source: "legacy", flags: "" }] });
    expect(JSON.stringify(rule.condition)).toContain("foreign");
  });

  it("sends Turbopack only files that define an endpoint or import an aliased specifier", () => {
    const config = withDurable({}, { alias: { "@acme/durable": "@durable-endpoints/runtime" } });
    const rule = config.turbopack.rules![RULE_KEY] as { condition: { all: [unknown, { content: RegExp }] } };
    const content = rule.condition.all[1].content;
    expect(content.test(`export const h = inngest.endpoint(async () => new Response());`)).toBe(true);
    expect(content.test(`import { step } from "@acme/durable";`)).toBe(true);
    expect(content.test(`import { Inngest } from 'inngest';`)).toBe(true);
    expect(content.test(`import React from "react";`)).toBe(false);
  });

  it("appends to a user rule on the same glob instead of replacing it", () => {
    const mine = { loaders: ["my-loader"] };
    const config = withDurable({ turbopack: { rules: { [RULE_KEY]: mine } } });
    const rules = config.turbopack.rules![RULE_KEY] as unknown as unknown[];
    expect(rules).toHaveLength(2);
    expect(rules[0]).toBe(mine);
  });

  it("composes the user's webpack function and adds a pre loader", () => {
    const seen: unknown[] = [];
    const config = withDurable({
      webpack: (cfg: { module?: { rules?: unknown[] } }, ctx: unknown) => {
        seen.push(ctx);
        cfg.module!.rules!.push("user-rule");
        return cfg;
      },
    });
    const out = config.webpack({ module: { rules: [] } }, { isServer: true });
    expect(seen).toEqual([{ isServer: true }]);
    expect(out.module!.rules![0]).toBe("user-rule");
    expect(out.module!.rules![1]).toMatchObject({ enforce: "pre" });
  });
});
