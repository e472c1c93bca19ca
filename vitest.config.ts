import { defineConfig } from "vitest/config";

// Tests import workspace packages through their "source" export condition, so a
// change under packages/*/src is picked up without a rebuild. Child processes
// (crash tests, integrations) run the built dist/ — `npm test` builds first.
const conditions = ["source", "node", "import", "module", "default"];

const project = (name: string, include: string[], extra: Record<string, unknown> = {}) => ({
  extends: true as const,
  test: { name, include, ...extra },
});

export default defineConfig({
  resolve: { conditions },
  // Vitest also hands ssr conditions to its Node workers as --conditions flags: "import" there would make a
  // CommonJS package's require() of a dual package load the ESM build (pg → pg-pool breaks). Vite adds
  // import/require per import kind by itself.
  ssr: { resolve: { conditions: ["source", "node"], externalConditions: ["node"] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      project("runtime", ["packages/runtime/test/**/*.test.ts"]),
      project("transform", ["packages/transform/test/**/*.test.ts"]),
      project("unplugin", ["packages/unplugin/test/**/*.test.ts", "packages/tsc/test/**/*.test.ts"]),
      project("cli", ["packages/cli/test/**/*.test.ts"]),
      project("conformance", ["test/conformance/**/*.test.ts"]),
      project("integration", ["test/integration/**/*.test.ts"], { testTimeout: 300_000, hookTimeout: 600_000 }),
      // Last and alone: it restarts Postgres, which would fail other projects' Postgres tests running meanwhile.
      project("chaos", ["test/chaos/**/*.test.ts"], { testTimeout: 600_000, sequence: { groupOrder: 1 } }),
      project("browser", ["test/browser/**/*.test.ts"], { testTimeout: 120_000, hookTimeout: 300_000 }),
    ],
  },
});
