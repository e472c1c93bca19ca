/** Hand-rolled argument parsing: `durable <command> [positionals] [--flag] [--option value|--option=value]`. */
import { CliError } from "./errors.js";

export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
}

/** Options that take a value; everything else starting with `--` is a boolean flag. */
const VALUED = new Set(["store", "limit", "endpoint", "port", "host", "token", "root", "reason"]);
const FLAGS = new Set(["json", "help"]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { command: undefined, positionals: [], flags: new Set(), options: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h") parsed.flags.add("help");
    else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      if (VALUED.has(name)) {
        const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
        if (value === undefined || value === "") throw new CliError(`--${name} needs a value`);
        parsed.options.set(name, value);
      } else if (FLAGS.has(name) && eq < 0) parsed.flags.add(name);
      else throw new CliError(`unknown option ${arg} (see durable --help)`);
    } else if (parsed.command === undefined) parsed.command = arg;
    else parsed.positionals.push(arg);
  }
  return parsed;
}

export function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`--${name} must be a positive integer (got "${value}")`);
  return n;
}
