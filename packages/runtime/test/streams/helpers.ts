/** Helpers for streamed-response tests: handler bodies the test releases step by step, node:http servers, readers. */

import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { toNodeHandler } from "@durable-endpoints/runtime/node";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Lets the test release a handler's body chunk by chunk: the body can only get ahead as far as it is allowed. */
export class Gate {
  private released = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  release(count = 1): void {
    this.released += count;
    for (const waiter of this.waiters.filter((w) => w.n <= this.released)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  releaseAll(): void {
    this.release(Number.MAX_SAFE_INTEGER / 2);
  }

  /** Resolves once `n` chunks were released. */
  until(n: number): Promise<void> {
    if (this.released >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** A body of `count` chunks `chunk(i)` (i from 1), each produced once the gate lets it. */
export function gatedBody(gate: Gate, count: number, chunk: (i: number) => string): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i >= count) return controller.close();
      await gate.until(i + 1);
      controller.enqueue(encoder.encode(chunk(++i)));
    },
  });
}

export const sseHeaders = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/** Serves a web handler on 127.0.0.1 with toNodeHandler; returns its base URL and a close function. */
export async function serve(handler: (req: Request) => Promise<Response>): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer(toNodeHandler(handler));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Reads a streamed body as text, chunk by chunk, as far as the test wants. */
export class BodyReader {
  text = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  done = false;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** Reads until `predicate(text)` holds (or the body ends); returns the text so far. */
  async until(predicate: (text: string) => boolean): Promise<string> {
    while (!predicate(this.text)) {
      const { done, value } = await this.reader.read();
      if (done) {
        this.done = true;
        break;
      }
      this.text += decoder.decode(value, { stream: true });
    }
    return this.text;
  }

  /** Reads to the end; rejects when the body ends with an error (the connection was cut). */
  rest(): Promise<string> {
    return this.until(() => false);
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}

/** Drops the Postgres schemas whose names start with `prefix` (the ones a test file created). */
export async function dropSchemas(url: string, prefix: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { rows } = await admin.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", [prefix]);
  for (const { nspname } of rows) await admin.query(`DROP SCHEMA "${nspname}" CASCADE`);
  await admin.end();
}

/** Number of complete SSE events in `text`. */
export const eventCount = (text: string) => (text.match(/\n\n/g) ?? []).length;

/** The `id:` values of the events in `text`. */
export const eventIds = (text: string) => [...text.matchAll(/^id: ?(.*)$/gm)].map((m) => m[1]!);

/** Text up to and including the last complete event (what an EventSource has dispatched). */
export const completeEvents = (text: string) => text.slice(0, text.lastIndexOf("\n\n") + 2);
