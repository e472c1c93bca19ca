/** Counts printed at the end of each conformance test file (see README). */
export function printSummary(title: string, counts: Record<string, number>): void {
  const parts = Object.entries(counts).map(([k, v]) => `${v} ${k}`);
  console.log(`[conformance] ${title}: ${parts.join(", ")}`);
}

/** Fails with the first `show` problem reports, separated by blank lines. */
export function assertNoProblems(problems: string[], show = 4): void {
  if (!problems.length) return;
  const more = problems.length > show ? `\n\n… and ${problems.length - show} more` : "";
  throw new Error(`${problems.length} problem(s):\n\n${problems.slice(0, show).join("\n\n")}${more}`);
}
