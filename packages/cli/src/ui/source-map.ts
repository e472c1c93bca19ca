/**
 * A compiled endpoint's module, compiled again to map machine states to
 * source lines. The endpoint id is `<module path relative to root>#<export>`;
 * the module is read from the inspector's root and recompiled only when it
 * changes on disk.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { CliError } from "../errors.js";
import { compileFile, type CompiledFile } from "../source.js";
import type { SourceDetail } from "./api.js";

/** Modules larger than this are not shown. */
const MAX_SOURCE_BYTES = 2 * 1024 * 1024;
const SOURCE_FILE = /\.[cm]?[jt]sx?$/;
const CACHED_MODULES = 64;

export class SourceMapper {
  readonly #root: string;
  readonly #cache = new Map<string, { stamp: string; compiled: CompiledFile }>();

  constructor(root: string) {
    this.#root = root;
  }

  /** The module of `endpoint` mapped to states, or why it cannot be shown. */
  describe(endpoint: string, runVersion: string | null): SourceDetail | { unavailable: string } {
    const hash = endpoint.lastIndexOf("#");
    if (runVersion === null || hash < 0) return { unavailable: "an uncompiled handler (replay mode) has no state machine" };
    const file = endpoint.slice(0, hash);
    const name = endpoint.slice(hash + 1);
    if (!SOURCE_FILE.test(file)) return { unavailable: `${file} is not a JavaScript or TypeScript module` };
    let compiled: CompiledFile;
    try {
      compiled = this.#compile(file);
    } catch (error) {
      return { unavailable: error instanceof CliError ? `${error.message} (under --root ${this.#root})` : String(error) };
    }
    const machine = compiled.result.endpoints.find((e) => e.id === endpoint || e.name === name);
    if (!machine) return { unavailable: `${file} has no endpoint "${name}" any more` };
    const states = machine.stateDescriptions.map(({ state, steps, live, lines }) => ({
      state,
      steps: steps.map((s) => ({ id: s.id ?? "await", kind: s.kind, line: s.line })),
      captured: live,
      lines,
    }));
    return { file, lines: compiled.code.split(/\r?\n/), version: machine.version, stale: machine.version !== runVersion, states };
  }

  #compile(file: string): CompiledFile {
    const absolute = resolve(this.#root, file);
    let stamp: string;
    try {
      const stat = statSync(absolute);
      if (stat.size > MAX_SOURCE_BYTES) throw new CliError(`${file} is larger than ${MAX_SOURCE_BYTES / 1024 / 1024} MiB`);
      stamp = `${stat.mtimeMs}:${stat.size}`;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot read ${file}: no such file`);
    }
    const cached = this.#cache.get(absolute);
    if (cached?.stamp === stamp) return cached.compiled;
    const compiled = compileFile(file, this.#root);
    this.#cache.delete(absolute);
    this.#cache.set(absolute, { stamp, compiled });
    if (this.#cache.size > CACHED_MODULES) this.#cache.delete(this.#cache.keys().next().value!);
    return compiled;
  }
}
