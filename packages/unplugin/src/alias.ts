import MagicString from "magic-string";

// A module specifier in `import … from "x"`, `export … from "x"`, `import "x"`, `import("x")`, `require("x")`.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])([^"'\r\n]+)\2/g;

/** One aliased specifier: `code.slice(start, end)` becomes `text` (never across a line break). */
export interface SpecifierEdit {
  start: number;
  end: number;
  text: string;
}

/** Cheap pre-check: does the module mention any aliased specifier at all? */
function mentionsAlias(code: string, aliases: ReadonlyMap<string, string>): boolean {
  for (const from of aliases.keys()) if (code.includes(`"${from}"`) || code.includes(`'${from}'`)) return true;
  return false;
}

/** The aliased import specifiers of `code`, in order; empty when nothing matched. */
export function aliasEdits(code: string, aliases: ReadonlyMap<string, string>): SpecifierEdit[] {
  if (aliases.size === 0 || !mentionsAlias(code, aliases)) return [];
  const edits: SpecifierEdit[] = [];
  for (const match of code.matchAll(SPECIFIER)) {
    const target = aliases.get(match[3]!);
    if (target === undefined) continue;
    const start = match.index! + match[1]!.length + 1;
    edits.push({ start, end: start + match[3]!.length, text: target });
  }
  return edits;
}

/** Rewrites aliased import specifiers in place; null when nothing matched. */
export function rewriteImports(code: string, aliases: ReadonlyMap<string, string>): MagicString | null {
  const edits = aliasEdits(code, aliases);
  if (edits.length === 0) return null;
  const s = new MagicString(code);
  for (const edit of edits) s.overwrite(edit.start, edit.end, edit.text);
  return s;
}
