/** Counts printed at the end of each conformance test file (see README). */
export function printSummary(title: string, counts: Record<string, number>): void {
  const parts = Object.entries(counts).map(([k, v]) => `${v} ${k}`);
  console.log(`[conformance] ${title}: ${parts.join(", ")}`);
}

/** Fails with every problem report, separated by blank lines. */
export function assertNoProblems(problems: string[]): void {
  if (problems.length) throw new Error(`${problems.length} problem(s):\n\n${problems.join("\n\n")}`);
}
