import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The inspector page: plain TypeScript, no framework, built into dist/page where `durable ui` serves it from.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../dist/page", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // no inline scripts or styles: the server's Content-Security-Policy allows 'self' only
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
