/**
 * The docs stay true: every relative link in the repository's Markdown resolves (file and
 * heading), nothing cites a document outside the repository, and the generated code that
 * docs/machine-format.md shows is what the transform emits today.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { transform } from "@durable-endpoints/transform";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SKIP = new Set(["node_modules", "dist", ".git", ".turbo", ".next", ".durable", "test-results", "coverage"]);

function files(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files(path, keep, out);
    else if (keep(entry.name)) out.push(path);
  }
  return out;
}

const markdown = files(root, (name) => name.endsWith(".md"));
const read = (path: string) => readFileSync(path, "utf8");
/** The text outside fenced code blocks and inline code, where links are links. */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = heading!.replace(/`/g, "").toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe("docs", () => {
  it("every relative link in the Markdown resolves, headings included", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = read(file);
      // headings are taken from the raw text: inline code in a heading still makes an anchor
      for (const [, target] of prose(text.replace(/^(#{1,6}\s.*)$/gm, (h) => h.replace(/`/g, ""))).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const destination = path === "" ? file : resolve(dirname(file), decodeURI(path));
        const where = `${relative(root, file)} → ${target}`;
        if (!existsSync(destination)) broken.push(`${where} (no such file)`);
        else if (anchor && destination.endsWith(".md") && !anchors(read(destination)).has(anchor)) broken.push(`${where} (no such heading)`);
        else if (anchor && statSync(destination).isDirectory()) broken.push(`${where} (anchor on a directory)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("nothing cites a document outside the repository", () => {
    const outside = /\bDESIGN\b|\bTOOLCHAIN\.md\b|\/work\/shared|§\s?\d/;
    const self = fileURLToPath(import.meta.url);
    const text = files(root, (name) => /\.(md|[cm]?[jt]sx?|json)$/.test(name) && name !== "package-lock.json").filter((f) => f !== self);
    const citing = text.flatMap((file) =>
      read(file)
        .split("\n")
        .flatMap((line, i) => (outside.test(line) && !/RFC \d+ §/.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(citing).toEqual([]);
  });

  describe("machine-format.md shows what the transform emits", () => {
    const doc = read(join(root, "docs/machine-format.md"));
    const blocks = (kind: string) => [...doc.matchAll(new RegExp(`<!-- ${kind}: (\\S+) -->\\n\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\``, "g"))];

    it.each(blocks("compiled").map(([, file, code]) => [file!, code!]))("%s, compiled from the repository root", (file, shown) => {
      const path = join(root, file);
      const { code, diagnostics } = transform(read(path), { filename: path, root });
      expect(diagnostics).toEqual([]);
      expect(code).toContain(shown);
    });

    it.each(blocks("source").map(([, file, code]) => [file!, code!]))("%s, compiled in its own project", (file, source) => {
      const output = blocks("output").find(([, name]) => name === file)?.[2];
      const project = "/project";
      const { code, diagnostics } = transform(source, { filename: `${project}/${file}`, root: project });
      expect(diagnostics).toEqual([]);
      expect(code.trimEnd()).toBe(output);
    });
  });
});
