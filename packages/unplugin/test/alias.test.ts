import { resolveAliases } from "@durable-endpoints/transform";
import { describe, expect, it } from "vitest";
import { rewriteImports } from "../src/alias.js";

const aliases = resolveAliases(true);
const rewrite = (code: string) => rewriteImports(code, aliases)?.toString() ?? code;

describe("alias rewrite", () => {
  it("maps the seed's specifiers in every import form", () => {
    const code = [
      `import { Inngest, step } from "inngest";`,
      `import { endpointAdapter } from 'inngest/edge';`,
      `export { step as s } from "inngest";`,
      `import "inngest";`,
      `const lazy = () => import("inngest/edge");`,
      `const cjs = require( "inngest" );`,
    ].join("\n");
    expect(rewrite(code)).toBe(
      [
        `import { Inngest, step } from "@durable-endpoints/runtime";`,
        `import { endpointAdapter } from '@durable-endpoints/runtime/edge';`,
        `export { step as s } from "@durable-endpoints/runtime";`,
        `import "@durable-endpoints/runtime";`,
        `const lazy = () => import("@durable-endpoints/runtime/edge");`,
        `const cjs = require( "@durable-endpoints/runtime" );`,
      ].join("\n"),
    );
  });

  it("leaves other specifiers and plain strings alone", () => {
    const code = `import x from "inngest-extra";\nimport y from "inngest/other";\nconst name = "inngest";\n`;
    expect(rewrite(code)).toBe(code);
  });

  it("accepts a custom map on top of the defaults", () => {
    const custom = resolveAliases({ "@acme/durable": "@durable-endpoints/runtime" });
    expect(rewriteImports(`import { step } from "@acme/durable";`, custom)?.toString()).toBe(
      `import { step } from "@durable-endpoints/runtime";`,
    );
    expect(custom.get("inngest")).toBe("@durable-endpoints/runtime");
  });

  it("is off unless asked for", () => {
    expect(rewriteImports(`import { step } from "inngest";`, resolveAliases(undefined))).toBeNull();
  });
});
