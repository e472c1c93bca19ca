/** Aligned plain-text tables for terminals. */
export type Cell = string | number;

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], rightAligned: readonly number[] = []): string {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => width(row[col] ?? ""))));
  const line = (row: readonly string[]) =>
    row
      .map((cell, col) => (col === row.length - 1 && !rightAligned.includes(col) ? cell : pad(cell, widths[col]!, rightAligned.includes(col))))
      .join("  ")
      .trimEnd();
  return [line(cells[0]!), line(widths.map((w) => "─".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number, right: boolean): string {
  const fill = " ".repeat(Math.max(0, to - width(text)));
  return right ? fill + text : text + fill;
}
