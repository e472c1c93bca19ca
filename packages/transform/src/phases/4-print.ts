/**
 * Phase 4: print each machine with Babel's generator and splice it over the handler
 * argument in the original text. Everything else stays byte-for-byte; the source map
 * maps unchanged lines to themselves and the machine's statements to the user's lines,
 * composed with an input map when one is given. It also tells where each `case` landed.
 */
import { GenMapping, addMapping, addSegment, setSourceContent, toEncodedMap, type DecodedSourceMap, type EncodedSourceMap } from "@jridgewell/gen-mapping";
import remapping from "@jridgewell/remapping";
import type { SourceMapInput } from "@jridgewell/trace-mapping";
import * as t from "@babel/types";
import { generate } from "../babel.js";
import type { LineRange } from "./3-lower/metadata.js";

export interface Replacement {
  start: number;
  end: number;
  /** replacement = `{`, the header lines, the printed method, `}` */
  header: string[];
  method: t.Node;
  /** the machine's cases, in state order, then `default` */
  cases: t.SwitchCase[];
}

export interface Printed {
  code: string;
  map: EncodedSourceMap | null;
  /** per replacement (in the order given): per state, the lines of its `case` (label to last statement) */
  caseLines: LineRange[][];
}

/**
 * The generator maps a node to `loc.filename` when it has one, so a case given a
 * position in a made-up file marks the output line its label is printed on.
 */
const CASE_MARK = "\0durable-case:";

export function print(code: string, filename: string, replacements: Replacement[], sourceMaps: boolean, inputMap?: SourceMapInput | null): Printed {
  const sorted = [...replacements].sort((a, b) => a.start - b.start);
  const gen = new GenMapping({ file: filename });
  setSourceContent(gen, filename, code);
  let out = "";
  let line = 1; // 1-based, like the original positions
  let column = 0;
  const original = positionsOf(code);

  const append = (text: string) => {
    const last = text.lastIndexOf("\n");
    if (last === -1) column += text.length;
    else {
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", nl + 1)) line++;
      column = text.length - last - 1;
    }
    out += text;
  };
  const copy = (from: number, to: number) => {
    if (from >= to) return;
    // line by line (a lookbehind split was ~2% of a transform)
    for (let offset = from; offset < to; ) {
      const nl = code.indexOf("\n", offset);
      const end = nl === -1 || nl >= to ? to : nl + 1;
      const piece = code.slice(offset, end);
      if (sourceMaps && piece.trim() !== "") {
        const lead = piece.length - piece.trimStart().length;
        const pos = original(offset + lead);
        addMapping(gen, { generated: { line, column: column + lead }, source: filename, original: pos });
      }
      append(piece);
      offset = end;
    }
  };

  const caseLines = new Map<Replacement, LineRange[]>();
  let cursor = 0;
  for (const r of sorted) {
    copy(cursor, r.start);
    const indent = /^[ \t]*/.exec(code.slice(code.lastIndexOf("\n", r.start - 1) + 1))![0] + "  ";
    const head = `{\n${r.header.map((h) => indent + h.replace(/\n/g, `\n${indent}`) + ",\n").join("")}`;
    append(head);
    const result = withCaseMarks(r.cases, () =>
      withLiteralLines(r.method, () => generate(r.method, { sourceMaps: true, sourceFileName: filename, comments: true, jsescOption: { minimal: true } }, code)),
    );
    const printedLines = result.code.split("\n");
    // lines that continue a literal keep their bytes: no indent, the mark removed
    const shift = printedLines.map((l) => (l.startsWith(LITERAL_LINE) ? -LITERAL_LINE.length : indent.length));
    const startLine = line;
    const labels: number[] = [];
    // the generator's decoded mappings as they are (encoding them to read them back was ~2% of a transform)
    const decoded = (result as typeof result & { decodedMap: DecodedSourceMap }).decodedMap;
    decoded.mappings.forEach((segments, index) => {
      for (const [column, source, originalLine, originalColumn, name] of segments) {
        if (source === undefined || originalLine === undefined || originalColumn === undefined) continue;
        const generatedLine = startLine + index;
        const file = decoded.sources[source];
        if (file?.startsWith(CASE_MARK)) {
          labels[Number(file.slice(CASE_MARK.length))] ??= generatedLine;
          continue;
        }
        if (!sourceMaps) continue;
        // addSegment takes 0-based lines, as the decoded map has them
        const generatedColumn = shift[index]! + column;
        if (name === undefined) addSegment(gen, generatedLine - 1, generatedColumn, filename, originalLine, originalColumn);
        else addSegment(gen, generatedLine - 1, generatedColumn, filename, originalLine, originalColumn, decoded.names[name]!);
      }
    });
    // a case ends where the next one's comment (if any) and label start
    caseLines.set(r, r.cases.slice(0, -1).map((_, i) => ({ first: labels[i]!, last: labels[i + 1]! - 1 - (r.cases[i + 1]!.leadingComments?.length ?? 0) })));
    append(printedLines.map((l) => (l.startsWith(LITERAL_LINE) ? l.slice(LITERAL_LINE.length) : l === "" ? l : indent + l)).join("\n"));
    append(`,\n${indent.slice(2)}}`);
    cursor = r.end;
  }
  copy(cursor, code.length);

  const lines = replacements.map((r) => caseLines.get(r)!);
  if (!sourceMaps) return { code: out, map: null, caseLines: lines };
  const map = toEncodedMap(gen);
  if (!inputMap) return { code: out, map, caseLines: lines };
  const composed = remapping(map as never, (file) => (file === filename ? (inputMap as never) : null));
  return { code: out, map: composed as unknown as EncodedSourceMap, caseLines: lines };
}

function withCaseMarks<T>(cases: t.SwitchCase[], print: () => T): T {
  const at = { line: 1, column: 0, index: 0 };
  cases.forEach((c, i) => (c.loc = { start: at, end: at, filename: `${CASE_MARK}${i}`, identifierName: undefined }));
  try {
    return print();
  } finally {
    for (const c of cases) c.loc = null;
  }
}

/**
 * Marks every line break inside a template or string literal (a backslash line continuation)
 * while `print` runs, so the method's indentation is not added inside the literal's bytes.
 */
const LITERAL_LINE = "\0durable-literal-line\0";

function withLiteralLines<T>(root: t.Node, print: () => T): T {
  const restore: (() => void)[] = [];
  t.traverseFast(root, (node) => {
    if (node.type === "TemplateElement" && node.value.raw.includes("\n")) {
      const { raw } = node.value;
      node.value.raw = raw.replace(/\n/g, `\n${LITERAL_LINE}`);
      restore.push(() => (node.value.raw = raw));
    } else if (node.type === "StringLiteral" && typeof node.extra?.raw === "string" && node.extra.raw.includes("\n")) {
      const extra = node.extra;
      const raw = extra.raw as string;
      extra.raw = raw.replace(/\n/g, `\n${LITERAL_LINE}`);
      restore.push(() => (extra.raw = raw));
    }
  });
  try {
    return print();
  } finally {
    restore.forEach((undo) => undo());
  }
}

/** offset → { line (1-based), column } in `code` */
function positionsOf(code: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! };
  };
}
