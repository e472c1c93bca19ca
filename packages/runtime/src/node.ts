/**
 * `toNodeHandler(handler)`: serve a web-standard endpoint from `node:http`,
 * Express or Connect. Rejected or partly read request bodies are drained so
 * a keep-alive connection stays usable.
 */

import type { IncomingMessage, ServerResponse } from "node:http";

export type WebHandler = (req: Request) => Promise<Response>;
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function toNodeHandler(handler: WebHandler): NodeHandler {
  return (req, res, next) => {
    serve(handler, req, res).catch((error) => {
      if (next) return next(error);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ error: { name: "InternalError", message: "Internal error" } }));
      } else res.destroy(error as Error);
    });
  };
}

async function serve(handler: WebHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = req.headers.host ?? "";
  if (!HOST.test(host)) return reply(req, res, Response.json({ error: { name: "BadRequest", message: "Missing or invalid Host header" } }, { status: 400 }));
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  const url = `${secure ? "https" : "http"}://${host}${req.url ?? "/"}`;
  const controller = new AbortController();
  // the client went away before the whole response was sent (a finished response needs no abort:
  // creating the AbortError and dispatching it costs more than the rest of a small request's teardown)
  res.once("close", () => res.writableFinished || controller.abort());
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // a header the Fetch API refuses: not forwarded
    }
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  let request: Request;
  try {
    request = new Request(url, {
      method: req.method,
      headers,
      body: hasBody ? bodyStream(req) : null,
      signal: controller.signal,
      duplex: "half",
    } as RequestInit);
  } catch {
    return reply(req, res, Response.json({ error: { name: "BadRequest", message: "Malformed request" } }, { status: 400 }));
  }
  await reply(req, res, await handler(request));
}

/**
 * The request body as a web stream. Unlike `Readable.toWeb`, cancelling it
 * (a 413) drains the rest instead of destroying the socket.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Buffer) => {
        if (cancelled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) req.pause();
      });
      req.once("end", () => cancelled || controller.close());
      req.once("error", (error) => cancelled || controller.error(error));
    },
    pull() {
      req.resume();
    },
    cancel() {
      cancelled = true;
      req.resume();
    },
  });
}

async function reply(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  // whatever the handler did not read is drained, so the connection can carry the next request
  if (!req.complete) req.resume();
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (!response.body || req.method === "HEAD") return void res.end();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!res.write(chunk)) await new Promise<void>((resolve) => res.once("drain", resolve));
  }
  res.end();
}
