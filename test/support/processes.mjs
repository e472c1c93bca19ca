// App processes under test, from the parent's side: start one and wait until it listens, kill it
// (the whole process group), crash one at a chosen point and let a second take the run over, and run
// many such jobs at once to load the machine. The child's side is app-child.mjs.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { crashEnv } from "./app-child.mjs";

/** What a server prints once it listens: app-child's `{"port":n}`, or a banner with its URL. */
const LISTENING = /^\{"port":(\d+)\}$|listening on (http:\/\/127\.0\.0\.1:\d+)|Local:\s+(http:\/\/[\w.]+:\d+)/m;

/**
 * @typedef {object} RunningServer
 * @property {string} url        http://127.0.0.1:<port>
 * @property {number} pid
 * @property {import("node:child_process").ChildProcess} child
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited
 * @property {() => string} output  everything it printed so far (stdout + stderr)
 * @property {(text: string | RegExp, timeoutMs?: number) => Promise<void>} waitFor  resolves once `text` was printed
 * @property {(signal?: NodeJS.Signals) => Promise<void>} kill  signals the whole process group (default SIGTERM), waits for the exit
 */

/**
 * Starts `command args` in its own process group (so kill() also reaches its children, e.g. the
 * next-server behind `next start`) and waits until it prints that it listens.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: Record<string, string | undefined>, url?: string, startTimeoutMs?: number }} [options]
 *   `url` overrides the address when the banner does not carry it
 * @returns {Promise<RunningServer>}
 */
export async function startServer(command, args, { cwd, env, url, startTimeoutMs = 30_000 } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set();
  const append = (chunk) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const waitFor = (text, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
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
      void exited.then(({ code, signal }) => {
        if (listeners.has(check)) check();
        if (listeners.delete(check)) {
          clearTimeout(timer);
          reject(new Error(`${command} exited (${code ?? signal}) before printing ${String(text)}; output:\n${output}`));
        }
      });
    });

  const kill = async (signal = "SIGTERM") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      return; // already gone
    }
    await exited;
  };

  try {
    await waitFor(LISTENING, startTimeoutMs);
  } catch (error) {
    await kill("SIGKILL");
    throw error;
  }
  const [, port, bannerUrl, devUrl] = LISTENING.exec(output);
  return { url: url ?? (port ? `http://127.0.0.1:${port}` : (bannerUrl ?? devUrl)), pid: child.pid, child, exited, output: () => output, waitFor, kill };
}

/** `node [nodeArgs] script args` as an app process (see startServer). */
export function startApp(script, { args = [], nodeArgs = [], ...options } = {}) {
  return startServer(process.execPath, [...nodeArgs, script, ...args], options);
}

/**
 * Crash and takeover, the way a client lives through it: process 1 (started with a crash plan, see
 * app-child.mjs) kills itself at the chosen point while `request` drives the run through it; process
 * 2 (no crash plan, same store) then gets the same request and finishes the run.
 * @param {object} options
 * @param {(env: Record<string, string>, incarnation: 1 | 2) => Promise<RunningServer>} options.start
 * @param {{ afterCheckpoint?: number, atProbe?: string, when?: (server: RunningServer) => Promise<unknown> }} options.crash
 *   in-process plans (see app-child.mjs), or `when`: the parent SIGKILLs process 1 once it resolves
 *   (e.g. a fault proxy's `fault.fired`, for a crash at a SQL statement)
 * @param {(server: RunningServer) => Promise<unknown>} options.request  e.g. POST with an Idempotency-Key, then follow the poll URL
 * @param {number} [options.pauseMs=0]  between the crash and process 2 (e.g. to let the dead lease lapse)
 * @returns {Promise<{ killed: boolean, first: unknown, second?: unknown, servers: RunningServer[] }>}
 *   killed: process 1 died by SIGKILL (false: the crash point was never reached; first = its outcome)
 */
export async function crashAndTakeOver({ start, crash, request, pauseMs = 0 }) {
  const one = await start(crashEnv(crash), 1);
  void crash.when?.(one).then(() => one.kill("SIGKILL"));
  let failed = false;
  const first = await request(one).catch((error) => ((failed = true), error));
  // A request cut by the crash fails while the process dies: give the exit a moment to arrive. A
  // process still alive then (or after a request that got its answer) was not crashed: stop it.
  if (failed) await Promise.race([one.exited, sleep(5000)]);
  await one.kill("SIGTERM");
  const { signal } = await one.exited;
  if (signal !== "SIGKILL") return { killed: false, first, servers: [one] };
  await sleep(pauseMs);
  const two = await start({}, 2);
  try {
    return { killed: true, first, second: await request(two), servers: [one, two] };
  } finally {
    await two.kill("SIGTERM");
  }
}

/**
 * Runs `task(0)`…`task(count - 1)` with `concurrency` of them in flight at once (many process pairs
 * on a 2-core machine: a loaded machine, as in production); results in index order.
 * @template T
 * @param {number} count
 * @param {(index: number) => Promise<T>} task
 * @param {{ concurrency?: number }} [options]
 * @returns {Promise<T[]>}
 */
export async function inParallel(count, task, { concurrency = count } = {}) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on 127.0.0.1 (for servers that cannot report the port they picked). */
export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}
