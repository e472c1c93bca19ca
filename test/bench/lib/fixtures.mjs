/**
 * Loads fixtures/endpoints.ts in one of three flavours:
 * - "compiled":   through @durable-endpoints/transform (state machines), then our runtime;
 * - "uncompiled": as written, on our runtime (memoized replay mode);
 * - "plain":      as written, with the runtime swapped for contenders/plain-runtime.mjs.
 * TypeScript is stripped by esbuild; the result is written under .tmp/ and imported.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transform as stripTypes } from "esbuild";

const source = fileURLToPath(new URL("../fixtures/endpoints.ts", import.meta.url));
const tmp = fileURLToPath(new URL("../.tmp/fixtures/", import.meta.url));
const plainRuntime = pathToFileURL(fileURLToPath(new URL("../contenders/plain-runtime.mjs", import.meta.url))).href;
const loaded = new Map();

async function compile(code) {
  const { transform } = await import("@durable-endpoints/transform");
  const out = transform(code, { filename: source, root: fileURLToPath(new URL("../../..", import.meta.url)) });
  const errors = out.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`transform failed:\n${errors.map((d) => `${d.message}\n${d.frame ?? ""}`).join("\n")}`);
  if (out.endpoints.length === 0) throw new Error("transform compiled no endpoint in fixtures/endpoints.ts");
  return out.code;
}

const toPlain = (code) => code.replace(/(["'])@durable-endpoints\/runtime(\/edge)?\1/g, JSON.stringify(plainRuntime));

/** @param {"compiled" | "uncompiled" | "plain"} flavor */
export function loadEndpoints(flavor) {
  if (!loaded.has(flavor)) loaded.set(flavor, load(flavor));
  return loaded.get(flavor);
}

async function load(flavor) {
  let code = readFileSync(source, "utf8");
  if (flavor === "compiled") code = await compile(code);
  code = (await stripTypes(code, { loader: "ts", format: "esm", sourcefile: source })).code;
  if (flavor === "plain") code = toPlain(code);
  mkdirSync(`${tmp}${flavor}`, { recursive: true });
  const file = `${tmp}${flavor}/endpoints.mjs`;
  // server processes load the same file at once: write aside, then rename (atomic), so none imports half a file
  writeFileSync(`${file}.${process.pid}`, code);
  renameSync(`${file}.${process.pid}`, file);
  return import(pathToFileURL(file).href);
}
