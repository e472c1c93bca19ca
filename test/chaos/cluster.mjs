// The app instances under fire: N worker processes on one Postgres schema. `killRandom()` SIGKILLs
// one, records the kill (after the process is gone) and starts a replacement.
import { fileURLToPath } from "node:url";
import { startApp } from "../support/processes.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));

export class Cluster {
  #env;
  #onKill;
  #workers = new Set();
  /** Spawns in progress: stop() waits for them, so no worker outlives the cluster. */
  #starting = new Set();
  #stopping = false;
  kills = 0;
  /** Workers that died without being killed by us (crashes). */
  unexpectedExits = [];

  /** `onKill(pid)` is awaited after each SIGKILL'd worker is gone. */
  constructor({ env, onKill }) {
    this.#env = env;
    this.#onKill = onKill;
  }

  async start(size) {
    await Promise.all(Array.from({ length: size }, () => this.#spawn()));
  }

  /** A live worker (not `except`), or undefined while all are restarting. */
  pick(except) {
    const live = this.#ready().filter((w) => w !== except);
    return live[Math.floor(Math.random() * live.length)] ?? this.#ready()[0];
  }

  #ready() {
    return [...this.#workers].filter((w) => w.ready);
  }

  /**
   * SIGKILLs a random live worker and starts its replacement; resolves once the replacement listens.
   * (Killing on a fixed clock instead, faster than workers start on a loaded machine, leaves no
   * instance up at all and measures nothing.)
   */
  async killRandom() {
    const victim = this.pick();
    if (!victim) return;
    await this.#kill(victim);
    this.kills++;
    await this.#spawn();
  }

  /** Kills every worker (recorded like any kill: a body cut here must not look like it is still running). */
  async stop() {
    this.#stopping = true;
    await Promise.all(this.#starting);
    await Promise.all([...this.#workers].map((w) => this.#kill(w)));
  }

  async #kill(worker) {
    worker.ready = false;
    worker.killed = true;
    await worker.server.kill("SIGKILL");
    this.#workers.delete(worker);
    await this.#onKill(worker.pid);
  }

  #spawn() {
    const starting = this.#start();
    this.#starting.add(starting);
    return starting.finally(() => this.#starting.delete(starting));
  }

  async #start() {
    let server;
    try {
      server = await startApp(WORKER, { env: this.#env });
    } catch (error) {
      if (this.#stopping) return;
      this.unexpectedExits.push({ pid: null, code: null, signal: null, stderr: error.message.slice(-4000) });
      return this.#spawn();
    }
    const worker = { server, pid: server.pid, url: server.url, ready: !this.#stopping, killed: false };
    this.#workers.add(worker);
    void server.exited.then(({ code, signal }) => {
      if (worker.killed || this.#stopping) return;
      this.#workers.delete(worker);
      this.unexpectedExits.push({ pid: worker.pid, code, signal, stderr: server.output().slice(-4000) });
      void this.#spawn();
    });
    return worker;
  }
}
