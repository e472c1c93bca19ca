import durable from "@durable-endpoints/unplugin/vite";
import { defineConfig } from "vitest/config";

// The tests compile the endpoints exactly as the build does: same plugin, same options, same root
// (so endpoint ids match the built server's).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [durable({ alias: true })],
  test: { name: "example-vite", include: ["test/**/*.test.ts"] },
});
