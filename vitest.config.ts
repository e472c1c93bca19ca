import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Tests import workspace packages through their "source" export condition, so a
// change under packages/*/src is picked up without a rebuild. Child processes
// (crash tests, integrations) run the built dist/ — `npm test` builds first.
const conditions = ["source", "node", "import", "module", "default"];

const project = (name: string, include: string[], extra: Record<string, unknown> = {}) => ({
  extends: true as const,
  test: { name, include, ...extra },
});
// Finds the test Postgres server or starts an embedded one, and exports DURABLE_TEST_PG_URL.
const postgres = { globalSetup: ["test/support/postgres-setup.mjs"] };

// Projects whose tests compile endpoints the way users do, with the Vite plugin's built dist (npm test
// builds first). Without it they are left out, saying so, and every other project still runs.
const vitePlugin = new URL("./packages/unplugin/dist/vite.js", import.meta.url);
const compiledProjects: Array<string | Record<string, unknown>> = [];
if (existsSync(vitePlugin)) {
  const { default: durable } = await import(vitePlugin.href);
  compiledProjects.push(
    // the test kit's fixtures
    {
      extends: true as const,
      plugins: [durable({ alias: true, include: ["packages/test/test/**"], exclude: ["packages/test/test/fixtures/uncompiled.ts"] })],
      test: { name: "test-kit", include: ["packages/test/test/**/*.test.ts"] },
    },
    // an example app's own suite, configured as a user would (examples/vite/vitest.config.ts)
    "examples/vite/vitest.config.ts",
  );
} else {
  console.warn("vitest: projects test-kit and example-vite need the built plugin (npx turbo run build); left out");
}

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
      project("runtime", ["packages/runtime/test/**/*.test.ts"], postgres),
      project("transform", ["packages/transform/test/**/*.test.ts"]),
      project("unplugin", ["packages/unplugin/test/**/*.test.ts", "packages/tsc/test/**/*.test.ts"]),
      project("cli", ["packages/cli/test/**/*.test.ts"], postgres),
      ...compiledProjects,
      project("support", ["test/support/**/*.test.ts"], postgres),
      project("conformance", ["test/conformance/**/*.test.ts"]),
      project("test262", ["test/test262/**/*.test.ts"]),
      project("docs", ["test/docs/**/*.test.ts"]),
      project("http-fuzz", ["test/http-fuzz/**/*.test.ts"], { testTimeout: 300_000 }),
      project("integration", ["test/integration/**/*.test.ts"], { testTimeout: 300_000, hookTimeout: 600_000 }),
      // Last: its workers load the machine, which would skew other projects' timing-sensitive tests.
      // (It restarts a private Postgres cluster of its own, never the test server.)
      project("chaos", ["test/chaos/**/*.test.ts"], { testTimeout: 600_000, sequence: { groupOrder: 1 } }),
      // The fault-injection suite's quick mode: also many processes at once, also last.
      project("faults", ["test/faults/**/*.test.ts"], { testTimeout: 300_000, sequence: { groupOrder: 1 } }),
      project("browser", ["test/browser/**/*.test.ts"], { testTimeout: 120_000, hookTimeout: 300_000, ...postgres }),
    ],
  },
});
