import { defineConfig } from "vite";

// The playground bundles the compiler and the runtime core for the browser.
// Workspace packages resolve through their "source" condition so the page
// always shows the compiler as it is in the repo.
export default defineConfig({
  base: "./",
  resolve: { conditions: ["source", "browser", "module", "import", "default"] },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: { outDir: "dist", target: "es2022", chunkSizeWarningLimit: 4000 },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
