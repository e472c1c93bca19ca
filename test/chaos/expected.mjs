// What every chaos run computes, known in advance so the driver can check each final Response.

/** A small deterministic number derived from the run key. */
export function checksum(text) {
  let sum = 0;
  for (const char of text) sum = (sum * 31 + char.charCodeAt(0)) % 10_007;
  return sum;
}

/** The Response body every run must end with. */
export function expectedBody(id) {
  const seed = checksum(id);
  const parts = [seed, seed + 1, seed + 2];
  return { id, seed, parts, retried: 3, approvedBy: "driver", againNew: true, total: parts.reduce((sum, p) => sum + p, 0) + 3 };
}

/** Step ids whose bodies record an effect in the ledger. */
export const EFFECT_STEPS = ["seed", "part-0", "part-1", "part-2", "flaky", "total"];
