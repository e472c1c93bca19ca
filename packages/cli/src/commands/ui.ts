/**
 * `durable ui [--store URL] [--port N] [--host H] [--token T] [--root DIR]`:
 * serves the run inspector until Ctrl-C. Loopback only unless `--host` says
 * otherwise — and then every request must carry a token.
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { once } from "node:events";
import { resolve } from "node:path";
import type { Command } from "../command.js";
import { CliError } from "../errors.js";
import { openExistingStore, redactUrl, resolveStoreUrl } from "../store.js";
import { isLoopback } from "../ui/security.js";
import { startInspector } from "../ui/server.js";

export const DEFAULT_UI_PORT = 4400;
const MIN_TOKEN_LENGTH = 16;

export const uiCommand: Command = async ({ args, io, cwd, env }) => {
  const url = resolveStoreUrl(args.options.get("store"), env);
  const port = portOption(args.options.get("port"));
  const host = args.options.get("host") ?? "127.0.0.1";
  const root = rootOption(args.options.get("root"), cwd);
  let token = args.options.get("token") ?? null;
  if (token !== null && token.length < MIN_TOKEN_LENGTH) throw new CliError(`--token must be at least ${MIN_TOKEN_LENGTH} characters`);
  const generated = token === null && !isLoopback(host);
  if (generated) token = randomBytes(24).toString("base64url");

  const store = await openExistingStore(url);
  let inspector;
  try {
    await store.listRuns({ limit: 1 }); // an unreachable store is an error now, not on the page
    inspector = await startInspector({ store, storeLabel: redactUrl(url), host, port, token, root });
  } catch (error) {
    await store.close();
    throw listenError(error, host, port);
  }

  io.out(`durable ui: ${inspector.url}${token ? `/?token=${token}` : ""}`);
  io.out(`  store ${redactUrl(url)} · sources from ${root}`);
  if (generated) io.out(`  reachable from other machines: every request needs the token (generated; pass --token to choose one)`);
  io.out("  Ctrl-C to stop");

  await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
  await inspector.close();
  await store.close();
  return 0;
};

function portOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_UI_PORT;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`--port must be a port number from 0 to 65535 (got "${value}"; 0 picks a free port)`);
  return n;
}

function rootOption(value: string | undefined, cwd: string): string {
  const root = resolve(cwd, value ?? ".");
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new CliError(`--root ${value}: no such directory`);
  return root;
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return new CliError(`port ${port} is already in use on ${host}: pick another with --port (0 picks a free one)`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") return new CliError(`cannot listen on --host ${host}: no such address on this machine`);
  if (code === "EACCES") return new CliError(`not allowed to listen on port ${port} (ports below 1024 need privileges)`);
  return error;
}
