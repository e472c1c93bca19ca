/** The built page (dist/page, made by `vite build` from ui/), loaded into memory once. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../errors.js";

export interface Asset {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** This module sits two levels below the package both as src/ui/assets.ts and as dist/ui/assets.js. */
export const ASSETS_DIR = fileURLToPath(new URL("../../dist/page/", import.meta.url));

/** Path ("/index.html", "/assets/main-1a2b.js") → asset. */
export function loadAssets(dir = ASSETS_DIR): Map<string, Asset> {
  if (!existsSync(join(dir, "index.html"))) {
    throw new CliError(`the inspector page is not built (${dir} is missing): run \`npm run build\``);
  }
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (TYPES[extname(entry.name)]) assets.set(path, { type: TYPES[extname(entry.name)]!, body: readFileSync(join(dir, path)) });
    }
  };
  walk("");
  return assets;
}
