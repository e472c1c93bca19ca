/**
 * Node module hooks (see register.ts): an ES module outside node_modules
 * that calls `.endpoint(` is compiled by @durable-endpoints/transform before
 * Node evaluates it, with an inline source map so stack traces show its lines.
 * A compile error fails the import with the diagnostics and their code frames.
 */

import { fileURLToPath } from "node:url";
import { checkDiagnostics, formatDiagnostic, mayContainEndpoint, transform } from "@durable-endpoints/transform";

type LoadResult = { format?: string | null; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };
type NextLoad = (url: string, context: { format?: string | null }) => Promise<LoadResult>;

export async function load(url: string, context: { format?: string | null }, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (result.format !== "module" || !url.startsWith("file:") || url.includes("/node_modules/") || result.source == null) return result;
  const source = typeof result.source === "string" ? result.source : new TextDecoder().decode(result.source);
  if (!mayContainEndpoint(source)) return result;
  const file = fileURLToPath(url);
  const compiled = transform(source, { filename: file });
  const error = checkDiagnostics(compiled.diagnostics, file, (warning) => console.warn(formatDiagnostic(warning, file)));
  if (error) throw error;
  if (compiled.endpoints.length === 0) return result;
  const map = compiled.map ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(compiled.map)).toString("base64")}\n` : "";
  return { ...result, source: compiled.code + map };
}
