/** Server-sent events: the page's EventSource gets a snapshot whenever it changes. */
import type { ServerResponse } from "node:http";

/** A comment line every so often keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export interface EventStream {
  /** Sends `data` as event `name` unless it equals the last data sent under that name. */
  send(name: string, data: string): void;
}

export function openEventStream(res: ServerResponse, headers: Record<string, string>): EventStream {
  res.writeHead(200, {
    ...headers,
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
  });
  res.write(": durable ui\n\n");
  const keepalive = setInterval(() => res.write(":\n\n"), KEEPALIVE_MS);
  res.on("close", () => clearInterval(keepalive));
  const last = new Map<string, string>();
  return {
    send(name, data) {
      if (last.get(name) === data) return;
      last.set(name, data);
      res.write(`event: ${name}\ndata: ${data.replace(/\n/g, "\ndata: ")}\n\n`);
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
