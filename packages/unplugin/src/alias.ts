import MagicString from "magic-string";

// A module specifier in `import … from "x"`, `export … from "x"`, `import "x"`, `import("x")`, `require("x")`.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])([^"'\r\n]+)\2/g;

/** Cheap pre-check: does the module mention any aliased specifier at all? */
function mentionsAlias(code: string, aliases: ReadonlyMap<string, string>): boolean {
  for (const from of aliases.keys()) if (code.includes(`"${from}"`) || code.includes(`'${from}'`)) return true;
  return false;
}

/** Rewrites aliased import specifiers in place; null when nothing matched. */
export function rewriteImports(code: string, aliases: ReadonlyMap<string, string>): MagicString | null {
  if (aliases.size === 0 || !mentionsAlias(code, aliases)) return null;
  let s: MagicString | null = null;
  for (const match of code.matchAll(SPECIFIER)) {
    const target = aliases.get(match[3]!);
    if (target === undefined) continue;
    const start = match.index! + match[1]!.length + 1;
    s ??= new MagicString(code);
    s.overwrite(start, start + match[3]!.length, target);
  }
  return s;
}
