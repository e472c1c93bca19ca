/**
 * One dedicated connection that LISTENs for run changes (payload: run id) and
 * due work, feeding a {@link ChangeHub}. When the connection drops (Postgres
 * restart, network) it reconnects with exponential backoff and re-LISTENs;
 * after every (re)connect it wakes all waiters, because notifications sent
 * while nobody listened are lost for good.
 */
import type { Client, Notification } from "pg";
import type { ChangeHub } from "./change-hub.js";

export interface Channels {
  run: string;
  due: string;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;

export class PgListener {
  readonly #connect: () => Promise<Client>;
  readonly #channels: Channels;
  readonly #hub: ChangeHub;
  #client: Client | undefined;
  #started = false;
  #stopped = false;
  #backoffMs = MIN_BACKOFF_MS;
  #retryTimer: NodeJS.Timeout | undefined;

  /** `connect` opens a client that already listens for 'error' (so none can crash the process). */
  constructor(connect: () => Promise<Client>, channels: Channels, hub: ChangeHub) {
    this.#connect = connect;
    this.#channels = channels;
    this.#hub = hub;
  }

  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    void this.#listen();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #listen(): Promise<void> {
    let client: Client | undefined;
    try {
      // `connect` returns a client that already swallows 'error' events (they surface as 'end' too).
      client = await this.#connect();
      client.on("end", () => this.#lost(client!));
      client.on("notification", (message: Notification) => this.#dispatch(message));
      await client.query(`LISTEN ${quote(this.#channels.run)}`);
      await client.query(`LISTEN ${quote(this.#channels.due)}`);
      if (this.#stopped) {
        await client.end();
        return;
      }
      this.#client = client;
      this.#backoffMs = MIN_BACKOFF_MS;
      this.#hub.wakeAll();
    } catch {
      await client?.end().catch(() => {});
      this.#retry();
    }
  }

  #dispatch(message: Notification): void {
    if (message.channel === this.#channels.run && message.payload) this.#hub.runChanged(message.payload);
    else if (message.channel === this.#channels.due) this.#hub.due();
  }

  #lost(client: Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#retry();
  }

  #retry(): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs * (0.5 + Math.random() / 2);
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#retryTimer = setTimeout(() => void this.#listen(), delay);
    this.#retryTimer.unref();
  }
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
