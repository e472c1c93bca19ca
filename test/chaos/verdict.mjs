// The invariants a chaos report must satisfy, as a list of broken ones (empty = all held).
export function verdict(report) {
  const problems = [];
  if (report.wrongResponses.length > 0) problems.push(`${report.wrongResponses.length} runs did not end with the expected Response`);
  if (report.replayMismatches.length > 0) problems.push(`${report.replayMismatches.length} final Responses were not replayed identically`);
  if (report.effects.missing.length > 0) problems.push(`${report.effects.missing.length} completed runs lack a step execution in the ledger`);
  if (report.effects.unexplained.length > 0) problems.push(`${report.effects.unexplained.length} step bodies ran more than once without a kill or outage to explain it`);
  if (report.fencing.stepsCommittedTwice.length > 0) problems.push(`${report.fencing.stepsCommittedTwice.length} steps were committed as completed twice`);
  if (report.fencing.fencesSharedByTwoProcesses.length > 0) problems.push(`${report.fencing.fencesSharedByTwoProcesses.length} leases had accepted writes from two processes`);
  if (report.overlaps.other.length > 0) problems.push(`${report.overlaps.other.length} times a run executed in two processes at once with neither a kill, a refused write nor the outage to explain it`);
  if (report.unexpectedExits.length > 0) problems.push(`${report.unexpectedExits.length} workers crashed on their own`);
  if ((report.storedRuns.completed ?? 0) !== report.runs) problems.push(`the store holds ${JSON.stringify(report.storedRuns)} instead of ${report.runs} completed runs`);
  return problems;
}
