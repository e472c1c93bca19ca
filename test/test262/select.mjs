#!/usr/bin/env node
/**
 * Selects the test262 tests the differential runner uses and writes them, with the harness
 * files they include, to tests.json.gz (vendored: CI cannot fetch test262).
 *
 *   node test/test262/select.mjs <test262 git dir> [commit]
 *
 * Reproducible: the same commit gives the same file. Kept: tests whose body can be a handler
 * body — strict code (handlers live in ES modules), no module/raw/async-iteration/$262 tests,
 * no negative (parse/early error) tests. Each file keeps its copyright header; the YAML
 * frontmatter is replaced by the fields the runner needs.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

export const DIRECTORIES = [
  "expressions/await",
  "expressions/async-function",
  "expressions/async-arrow-function",
  "statements/async-function",
  "expressions/arrow-function",
  "expressions/function",
  "expressions/class",
  "statements/for",
  "statements/for-in",
  "statements/for-of",
  "statements/while",
  "statements/do-while",
  "statements/if",
  "statements/switch",
  "statements/try",
  "statements/labeled",
  "statements/break",
  "statements/continue",
  "statements/return",
  "statements/throw",
  "statements/block",
  "statements/variable",
  "statements/let",
  "statements/const",
  "statements/class",
  "statements/function",
  "expressions/assignment",
  "expressions/compound-assignment",
  "expressions/logical-assignment",
  "expressions/object",
  "expressions/array",
  "expressions/conditional",
  "expressions/comma",
  "expressions/logical-and",
  "expressions/logical-or",
  "expressions/logical-not",
  "expressions/coalesce",
  "expressions/optional-chaining",
  "expressions/template-literal",
  "expressions/tagged-template",
  "expressions/call",
  "expressions/new",
  "expressions/delete",
  "expressions/typeof",
  "expressions/void",
  "expressions/in",
  "expressions/instanceof",
  "expressions/addition",
  "expressions/subtraction",
  "expressions/multiplication",
  "expressions/division",
  "expressions/modulus",
  "expressions/exponentiation",
  "expressions/prefix-increment",
  "expressions/prefix-decrement",
  "expressions/postfix-increment",
  "expressions/postfix-decrement",
  "expressions/strict-equals",
  "expressions/equals",
  "expressions/less-than",
  "expressions/greater-than",
  "expressions/bitwise-and",
  "expressions/bitwise-or",
  "expressions/left-shift",
  "expressions/grouping",
  "expressions/property-accessors",
];

/** Sub-trees of the selected directories left out: generated variants by the thousand (class
 * elements, private names, class-method parameter destructuring — the function and arrow ones
 * stay) that add little for a compiler that rewrites the handler's own locals. The handler-level
 * destructuring tests (statements/for*, variable, let, const, try, assignment dstr) stay. */
export const EXCLUDED = [
  /\/class\/dstr\//,
  /\/class\/(elements|subclass-builtins|decorator|accessor-name|async-gen-method|gen-method|private-|static-init-await)/,
  /\/(async-)?gen-meth/,
  /\/object\/method-definition\/(async-gen|gen)/,
  /\/object\/dstr\/(async-gen|gen)-meth/,
  /\/function\/dstr\/dflt-/,
  /\/cpn-class-(decl|expr)-fields-methods/,
];

const FEATURES_OUT = new Set([
  "async-iteration", "Symbol.asyncIterator", "top-level-await", "decorators", "source-phase-imports", "import-defer",
  "explicit-resource-management", "cross-realm", "IsHTMLDDA", "host-gc-required", "Atomics.waitAsync", "import-attributes",
]);
const FLAGS_OUT = new Set(["module", "raw", "noStrict", "CanBlockIsTrue"]);

function frontmatter(text) {
  const match = /\/\*---([\s\S]*?)---\*\//.exec(text);
  if (!match) return null;
  const yaml = match[1];
  const list = (key) => {
    const inline = new RegExp(`^${key}:\\s*\\[([^\\]]*)\\]`, "m").exec(yaml);
    if (inline) return inline[1].split(",").map((s) => s.trim()).filter(Boolean);
    const block = new RegExp(`^${key}:\\s*\\n((?:\\s+-.*\\n?)+)`, "m").exec(yaml);
    return block ? block[1].split("\n").map((s) => s.replace(/^\s*-\s*/, "").trim()).filter(Boolean) : [];
  };
  return { start: match.index, end: match.index + match[0].length, flags: list("flags"), includes: list("includes"), features: list("features"), negative: /^negative:/m.test(yaml) };
}

export function select(gitDir, commit = "HEAD") {
  const git = (...args) => execFileSync("git", ["--git-dir", gitDir, ...args], { maxBuffer: 1 << 30 }).toString();
  const sha = git("rev-parse", commit).trim();
  const paths = git("ls-tree", "-r", "--name-only", sha, ...DIRECTORIES.map((d) => `test/language/${d}/`))
    .split("\n")
    .filter((p) => p.endsWith(".js") && !p.includes("_FIXTURE") && !EXCLUDED.some((re) => re.test(p)))
    .sort();
  const read = readAll(gitDir, sha, [...paths, "LICENSE", ...HARNESS_CANDIDATES(git, sha)]);

  const tests = [];
  const includes = new Set(["assert.js", "sta.js"]);
  for (const path of paths) {
    const text = read.get(path);
    const meta = frontmatter(text);
    if (!meta || meta.negative) continue;
    if (meta.flags.some((f) => FLAGS_OUT.has(f)) || meta.features.some((f) => FEATURES_OUT.has(f))) continue;
    if (text.includes("$262") || /\bfor\s+await\b/.test(text)) continue;
    // keep the copyright header (the lines before the frontmatter), drop the description
    const code = (text.slice(0, meta.start) + text.slice(meta.end)).replace(/\n{3,}/g, "\n\n");
    for (const file of meta.includes) includes.add(file);
    const entry = { path: path.slice("test/language/".length), code };
    if (meta.includes.length) entry.includes = meta.includes;
    if (meta.flags.includes("async")) entry.async = true;
    tests.push(entry);
  }
  const harness = Object.fromEntries([...includes].sort().map((file) => [file, read.get(`harness/${file}`)]));
  return { source: "https://github.com/tc39/test262", commit: sha, license: read.get("LICENSE"), harness, tests };
}

const HARNESS_CANDIDATES = (git, sha) => git("ls-tree", "--name-only", sha, "harness/").split("\n").filter((p) => p.endsWith(".js"));

/** The files at `sha`, read in one `git cat-file --batch`: path → text. */
function readAll(gitDir, sha, paths) {
  const out = execFileSync("git", ["--git-dir", gitDir, "cat-file", "--batch"], { input: paths.map((p) => `${sha}:${p}\n`).join(""), maxBuffer: 1 << 30 });
  const files = new Map();
  let at = 0;
  for (const path of paths) {
    const header = out.subarray(at, out.indexOf(10, at)).toString();
    const size = Number(header.split(" ")[2]);
    if (Number.isNaN(size)) throw new Error(`cannot read ${path}: ${header}`);
    const start = at + header.length + 1;
    files.set(path, out.subarray(start, start + size).toString());
    at = start + size + 1;
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [gitDir, commit] = process.argv.slice(2);
  if (!gitDir) throw new Error("usage: node test/test262/select.mjs <test262 git dir> [commit]");
  const bundle = select(gitDir, commit);
  const json = JSON.stringify(bundle, null, 1);
  writeFileSync(new URL("./tests.json.gz", import.meta.url), gzipSync(json, { level: 9 }));
  console.log(`${bundle.tests.length} tests from ${bundle.commit} (${(json.length / 1e6).toFixed(1)} MB, harness: ${Object.keys(bundle.harness).join(", ")})`);
}
