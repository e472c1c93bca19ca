import { originalPositionFor, TraceMap, type SourceMapInput } from "@jridgewell/trace-mapping";
import ts from "typescript";

/**
 * Builds the emitted tree for a module from the compiler's output text.
 *
 * Top-level statements the compiler left as they were are the ORIGINAL nodes: they keep their
 * comments, exact source positions and everything the checker knows (import elision, `import
 * type`, const enums). The statements it rewrote (the endpoints) are parsed from the output and
 * turned into synthesized nodes, so TypeScript's later transformers never ask the checker about
 * nodes it did not bind and the printer never slices the original text at foreign positions.
 * Their source-map ranges are looked up in the compiler's source map, so the emitted `.js.map`
 * (and stack traces) point at the user's lines.
 * Cost: comments inside rewritten statements are not emitted (they hang off text positions).
 */
export function reparseAsSynthesized(original: ts.SourceFile, compiledText: string, map: unknown): ts.SourceFile {
  const compiled = ts.createSourceFile(original.fileName, compiledText, original.languageVersion, true, scriptKindOf(original));
  const trace = map ? new TraceMap(map as SourceMapInput) : null;
  const unchanged = groupByText(original);

  const visit = (node: ts.Node): void => {
    const at = trace && originalOffset(trace, compiled, node, original);
    ts.forEachChild(node, visit, visitList);
    if (at !== null) ts.setSourceMapRange(node, { pos: at, end: at, source: original });
    // The end of a node has no meaningful original position: map starts only.
    ts.setEmitFlags(node, at === null ? ts.EmitFlags.NoSourceMap : ts.EmitFlags.NoTrailingSourceMap);
    ts.setTextRange(node, { pos: -1, end: -1 });
    (node as { flags: ts.NodeFlags }).flags |= ts.NodeFlags.Synthesized;
  };
  const visitList = (nodes: ts.NodeArray<ts.Node>): void => {
    nodes.forEach(visit);
    ts.setTextRange(nodes as unknown as ts.TextRange, { pos: -1, end: -1 });
  };

  const statements = compiled.statements.map((statement) => {
    const kept = unchanged.get(statement.getText(compiled))?.shift();
    if (kept) return kept;
    visit(statement);
    return statement;
  });
  // The root stays the original SourceFile: output path, source-map source and `text` are the user's.
  return ts.factory.updateSourceFile(original, statements);
}

function groupByText(file: ts.SourceFile): Map<string, ts.Statement[]> {
  const groups = new Map<string, ts.Statement[]>();
  for (const statement of file.statements) {
    const text = statement.getText(file);
    groups.set(text, [...(groups.get(text) ?? []), statement]);
  }
  return groups;
}

function originalOffset(trace: TraceMap, compiled: ts.SourceFile, node: ts.Node, original: ts.SourceFile): number | null {
  const at = compiled.getLineAndCharacterOfPosition(node.getStart(compiled));
  const pos = originalPositionFor(trace, { line: at.line + 1, column: at.character });
  if (pos.line === null || pos.column === null) return null;
  return original.getPositionOfLineAndCharacter(pos.line - 1, pos.column);
}

function scriptKindOf(file: ts.SourceFile): ts.ScriptKind {
  const ext = /\.[cm]?([jt]sx?)$/.exec(file.fileName)?.[1];
  return ext === "tsx" ? ts.ScriptKind.TSX : ext === "jsx" ? ts.ScriptKind.JSX : ext === "js" ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}
