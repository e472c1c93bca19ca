import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface RunningServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** Resolves once `text` has been printed. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Signals the whole process group (next start leaves a next-server child behind otherwise). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)|Local:\s+(http:\/\/[\w.]+:\d+)/;

/** A free TCP port on 127.0.0.1 (for servers that cannot report the port they picked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

/**
 * Starts a server in its own process group and waits for its "listening on http://…" line.
 * `url` overrides the address when the server's banner does not carry it.
 */
export async function startServer(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; url?: string; startTimeoutMs?: number },
): Promise<RunningServer> {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...options.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const waitFor = (text: string | RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const matches = () => (typeof text === "string" ? output.includes(text) : text.test(output));
      if (matches()) return resolve();
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${String(text)} from ${command} ${args.join(" ")}; output:\n${output}`));
      }, timeoutMs);
      const check = () => {
        if (!matches()) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve();
      };
      listeners.add(check);
      void exited.then(() => {
        if (listeners.has(check)) check();
        if (listeners.delete(check)) {
          clearTimeout(timer);
          reject(new Error(`${command} exited (code ${child.exitCode}) before printing ${String(text)}; output:\n${output}`));
        }
      });
    });

  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, signal);
    } catch {
      return; // already gone
    }
    await exited;
  };

  try {
    await waitFor(LISTENING, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await kill("SIGKILL");
    throw error;
  }
  const match = LISTENING.exec(output)!;
  return { url: options.url ?? match[1] ?? match[2]!, output: () => output, waitFor, kill };
}
