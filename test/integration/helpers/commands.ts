import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = (name: string) => fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));

/** The repository's own binaries (never a download). */
export const BUN = bin("bun");
export const NEXT = bin("next");
export const TSPC = bin("tspc");

/** Runs a command to completion; rejects with its output when it fails. */
export function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...options.env }, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(" ")} failed:\n${stdout}\n${stderr}`)) : resolve(stdout + stderr)),
    );
  });
}
