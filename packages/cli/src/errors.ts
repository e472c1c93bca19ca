/** An expected failure (bad usage, missing file/store/run): printed as one line, exit code 1, no stack. */
export class CliError extends Error {
  override name = "CliError";
}
