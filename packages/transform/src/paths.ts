/** Tiny POSIX path helpers: the core must also run in the browser playground (no node:path). */

const toPosix = (p: string): string => p.replace(/\\/g, "/");

function normalize(p: string): string[] {
  const out: string[] = [];
  for (const part of toPosix(p).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out;
}

/** `filename` relative to `root`, with "/" separators; unchanged when it is already relative. */
export function relativePath(root: string, filename: string): string {
  const file = toPosix(filename);
  const isAbsolute = file.startsWith("/") || /^[A-Za-z]:\//.test(file);
  if (!isAbsolute) return normalize(file).join("/");
  const from = normalize(root);
  const to = normalize(file);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  return [...from.slice(common).map(() => ".."), ...to.slice(common)].join("/");
}
