/** Serves the BUILT playground (playground/dist) on 127.0.0.1 with `vite preview`. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { preview } from "vite";

export const playgroundDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "playground");

export async function servePlayground(): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(join(playgroundDir, "dist", "index.html"))) {
    throw new Error("playground/dist is missing: build it first (npm run test:browser builds everything)");
  }
  const server = await preview({ root: playgroundDir, logLevel: "silent", preview: { host: "127.0.0.1", port: 0, strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("vite preview did not report its URL");
  return { url, close: () => server.close() };
}
