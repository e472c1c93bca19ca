/** The `durable` command: compile, inspect, runs, run, ui, cancel, retry. */
import { parseArgs } from "./args.js";
import type { Command, Io } from "./command.js";
import { CliError } from "./errors.js";

export const USAGE = `durable — inspect durable endpoints and their runs

Usage:
  durable compile <file> [--json]            print the generated state machine
  durable inspect <file> [--json]            states, steps, captured locals, diagnostics
  durable runs [--store URL] [--limit N] [--endpoint ID] [--json]
                                             list runs, newest first
  durable run <id> [--store URL] [--json]    one run: steps, attempts, errors, state, locals
  durable ui [--store URL] [--port N] [--root DIR] [--host H --token T]
                                             the run inspector, a web page (default port 4400):
                                             live runs, filters, one run's timeline, state and source;
                                             localhost only unless --host (then a token is required)
  durable cancel <id> [--store URL] [--reason TEXT] [--json]
                                             cancel a running or waiting run
  durable retry <id> [--store URL] [--json]  run a failed run again from where it failed

The store URL defaults to $DURABLE_STORE_URL (sqlite:///abs/path.db or postgres://…).
Exit code 1 on errors (missing file, store or run; compile errors; a run that
cannot be cancelled or retried).`;

// Loaded on demand: `durable runs` never loads the compiler, `durable compile` never loads a store.
const COMMANDS: Record<string, () => Promise<Command>> = {
  compile: async () => (await import("./commands/compile.js")).compileCommand,
  inspect: async () => (await import("./commands/inspect.js")).inspectCommand,
  runs: async () => (await import("./commands/runs.js")).runsCommand,
  run: async () => (await import("./commands/run.js")).runCommand,
  ui: async () => (await import("./commands/ui.js")).uiCommand,
  cancel: async () => (await import("./commands/control.js")).cancelCommand,
  retry: async () => (await import("./commands/control.js")).retryCommand,
};

const consoleIo: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/** Runs the CLI; returns the exit code instead of exiting, so it can be called in-process. */
export async function main(argv: readonly string[], io: Io = consoleIo, cwd = process.cwd(), env = process.env): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.flags.has("help") || args.command === undefined || args.command === "help") {
      io.out(USAGE);
      return args.command === undefined && !args.flags.has("help") ? 1 : 0;
    }
    const load = COMMANDS[args.command];
    if (!load) throw new CliError(`unknown command "${args.command}" (expected: ${Object.keys(COMMANDS).join(", ")})`);
    const command = await load();
    return await command({ args, io, cwd, env });
  } catch (error) {
    io.err(`durable: ${error instanceof CliError ? error.message : describeUnexpected(error)}`);
    return 1;
  }
}

function describeUnexpected(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return process.env.DURABLE_DEBUG ? (error.stack ?? error.message) : error.message;
}
