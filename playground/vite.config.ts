import { defineConfig, type Plugin } from "vite";

// The runtime opens SQLite/Postgres lazily from stores/open.ts; the playground
// always passes its own memory store, so those server-only modules are replaced
// by a stub instead of bundling better-sqlite3 and pg for the browser.
const SERVER_STORES = "\0durable-playground:server-stores";
const serverOnlyStores: Plugin = {
  name: "durable-playground:server-only-stores",
  enforce: "pre",
  resolveId(id, importer) {
    if (importer && /runtime\/(src|dist)\/stores\/open\.[jt]s$/.test(importer) && /^\.\/(sqlite|postgres)\.js$/.test(id)) return SERVER_STORES;
  },
  load(id) {
    if (id !== SERVER_STORES) return;
    return `const unavailable = () => { throw new Error("SQLite and Postgres stores run on servers; the playground uses the memory store."); };
export const sqliteStore = unavailable, postgresStore = unavailable;`;
  },
};

// Workspace packages resolve through their "source" condition so the page
// always shows the compiler and runtime as they are in the repo.
export default defineConfig({
  base: "./",
  plugins: [serverOnlyStores],
  resolve: { conditions: ["source", "browser", "module", "import", "default"] },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: { outDir: "dist", target: "es2022", chunkSizeWarningLimit: 4000 },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
