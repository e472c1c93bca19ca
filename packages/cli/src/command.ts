/** What every command receives, so they can be run in-process or from the bin. */
import type { ParsedArgs } from "./args.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  args: ParsedArgs;
  io: Io;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Returns the exit code. Throws CliError for expected failures. */
export type Command = (ctx: CommandContext) => number | Promise<number>;
