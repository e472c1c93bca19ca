/** The corpus: every module under corpus/ (regressions included) × every request of its scenario. */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { RequestSpec, Scenario } from "../scenario.js";
import { conformanceDir } from "./loader.js";
import { loadScenario } from "./run.js";

export interface Case {
  /** e.g. "corpus/for-loop.ts#1 GET /for?n=0" */
  name: string;
  file: string;
  spec: RequestSpec;
  scenario: Scenario;
}

export function corpusFiles(dir = join(conformanceDir, "corpus")): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return corpusFiles(path);
      return entry.name.endsWith(".ts") ? [path] : [];
    })
    .sort();
}

export async function casesOf(file: string): Promise<Case[]> {
  const scenario = await loadScenario(file);
  return scenario.requests.map((spec, i) => ({
    name: `${relative(conformanceDir, file)}#${i} ${spec.method ?? "GET"} ${spec.url ?? "/"}${spec.endpoint ? ` → ${spec.endpoint}` : ""}`,
    file,
    spec,
    scenario,
  }));
}

export async function loadCorpus(): Promise<Case[]> {
  return (await Promise.all(corpusFiles().map(casesOf))).flat();
}

/** `probe("…")` / probe(`…${x}…`) call sites of a module, as label patterns → line numbers. */
function probeSites(file: string): Array<{ pattern: RegExp; line: number }> {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((text, i) =>
      [...text.matchAll(/probe\((["`])(.*?)\1\)/g)].map((m) => ({
        pattern: new RegExp(
          "^" +
            m[2]!
              .split(/\$\{[^}]*\}/)
              .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
              .join(".+") +
            "$",
        ),
        line: i + 1,
      })),
    );
}

/** Appends "at <file>:<line>" for the first quoted probe label in a problem report. */
export function withSourceLine(file: string, problem: string): string {
  const label = /"([^"]+)"/.exec(problem)?.[1];
  const site = label ? probeSites(file).find((s) => s.pattern.test(label)) : undefined;
  return site ? `${problem}\n  ("${label}" is probed at ${relative(conformanceDir, file)}:${site.line})` : problem;
}
