import durable from "@durable-endpoints/unplugin/vite";
import { defineConfig } from "vite";

// A server (SSR) build of the shared Node server; the runtime stays an external import.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [durable({ alias: true })],
  logLevel: "warn",
  build: {
    ssr: "../shared/src/node-server.ts",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    rolldownOptions: { output: { entryFileNames: "server.js" } },
  },
  ssr: { external: ["@durable-endpoints/runtime"] },
});
