/**
 * `toNodeHandler(handler)`: serve a web-standard endpoint from `node:http`,
 * Express or Connect. Whatever the handler leaves of a request body is drained
 * (up to a bound) so a keep-alive connection stays usable.
 * `createServer(listener)`: a `node:http` server whose own answers (a request it
 * cannot parse, headers over its limit) are not lost to a reset either.
 */

import { createServer as createNodeServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { HttpError } from "./errors.js";
import { wholeBody } from "./execution/final-response.js";
import { abortableRequest } from "./request-signal.js";

export type WebHandler = (req: Request) => Promise<Response>;
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const ABSOLUTE_FORM = /^(https?):\/\/([^/?#]*)([/?#].*)?$/i;

/**
 * Bytes of a request body the handler left unread that are read and thrown
 * away to keep the connection. A longer remainder (declared, or found while
 * draining) closes the connection instead.
 */
const DRAIN_LIMIT = 1024 * 1024;
const LINGER_MS = 2000;

export function toNodeHandler(handler: WebHandler): NodeHandler {
  return (req, res, next) => {
    const body = new IncomingBody(req);
    res.once("finish", () => body.drain(res));
    serve(handler, req, res, body).catch((error) => {
      if (next) return next(error);
      // no framework to hand it to: logged here, answered like any error nobody caught
      console.error("[durable] toNodeHandler: the handler failed", error);
      if (res.headersSent) return res.destroy(error as Error);
      reply(req, res, body, HttpError.internal(error).getResponse()).catch(() => res.destroy());
    });
  };
}

/**
 * `http.createServer` for a `toNodeHandler` listener (or an Express/Connect app):
 * a request without `Host` reaches the handler (which answers `400`), and what
 * node:http answers itself — `400` for a request it cannot parse, `431` for
 * headers over `maxHeaderSize`, `408` — closes the connection lingering, as
 * toNodeHandler does, instead of at once: a client still sending its body would
 * get a TCP reset that can destroy the answer before it is read.
 */
export function createServer(listener: NodeHandler, options: ServerOptions = {}): Server {
  const server = createNodeServer({ requireHostHeader: false, ...options }, listener);
  server.on("clientError", answerClientError);
  return server;
}

/** What node:http answers a request it refuses (its own default `clientError` handling), then a lingering close. */
const CLIENT_ERRORS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/** Sockets whose client error was answered: the parser reports every later chunk as an error again. */
const answeredClientErrors = new WeakSet<Socket>();

function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (answeredClientErrors.has(socket)) return;
  answeredClientErrors.add(socket);
  // a client that reset the connection, or a response already under way: nothing can be answered
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) return void socket.destroy();
  socket.write(`HTTP/1.1 ${CLIENT_ERRORS[error.code ?? ""] ?? "400 Bad Request"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  // what the client still sends is no request: dropped, not parsed
  socket.removeAllListeners("data");
  closeLingering(socket);
}

async function serve(handler: WebHandler, req: IncomingMessage, res: ServerResponse, body: IncomingBody): Promise<void> {
  const url = requestUrl(req);
  if (typeof url !== "string") return reply(req, res, body, badRequest(url.error));
  const controller = new AbortController();
  let answered = false;
  // the client went away before the handler answered (a finished response needs no abort: creating the
  // AbortError and dispatching it costs more than the rest of a small request's teardown). Once it has
  // answered, a client leaving cancels the response body instead — and a durable stream, produced for
  // whoever rejoins, goes on: its handler's req.signal must not abort.
  res.once("close", () => answered || res.writableFinished || controller.abort());
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
    request = abortableRequest(
      new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? body.stream() : null,
        signal: controller.signal,
        duplex: "half",
      } as RequestInit),
      controller,
    );
  } catch {
    return reply(req, res, body, badRequest("Malformed request"));
  }
  const response = await handler(request);
  answered = true;
  await reply(req, res, body, response);
}

const badRequest = (message: string) => new HttpError(400, message, { name: "BadRequest" }).getResponse();

/**
 * The request's URL: origin-form targets (`/path?query`) on the Host header;
 * an absolute-form target (`http://host/path`, as sent to proxies) names its
 * own authority, which replaces Host (RFC 9112 §3.2.2).
 */
function requestUrl(req: IncomingMessage): string | { error: string } {
  const target = req.url ?? "/";
  if (target.startsWith("/")) {
    const host = req.headers.host ?? "";
    if (!HOST.test(host)) return { error: "Missing or invalid Host header" };
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    return `${secure ? "https" : "http"}://${host}${target}`;
  }
  const absolute = ABSOLUTE_FORM.exec(target);
  if (!absolute || !HOST.test(absolute[2]!)) return { error: "Malformed request target: expected /path or http(s)://host/path" };
  return `${absolute[1]!.toLowerCase()}://${absolute[2]}${absolute[3] ?? "/"}`;
}

/**
 * The request body as a web stream (unlike `Readable.toWeb`, cancelling it
 * does not destroy the socket), and the draining of what the handler left.
 */
class IncomingBody {
  private received = 0;
  private discarding = false;

  constructor(private readonly req: IncomingMessage) {}

  stream(): ReadableStream<Uint8Array> {
    const { req } = this;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        req.on("data", (chunk: Buffer) => {
          this.received += chunk.byteLength;
          if (this.discarding) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
        });
        req.once("end", () => this.discarding || controller.close());
        // "error": the client left mid-body (node:http also emits "aborted")
        req.once("error", (error) => this.discarding || controller.error(error));
      },
      pull: () => {
        req.resume();
      },
      cancel: () => {
        this.discarding = true;
        req.resume();
      },
    });
  }

  /**
   * Before the response, while the body is not all read: a connection that closes after the response (a
   * remainder too long to drain gets `Connection: close`; HTTP/1.0, or the client's own `Connection: close`)
   * closes lingering, so the response is not lost.
   */
  lingerIfUnread(res: ServerResponse): void {
    if (this.req.complete) return;
    const declared = Number(this.req.headers["content-length"]);
    if (declared - this.received > DRAIN_LIMIT) res.setHeader("connection", "close");
    // node:http ends a connection with destroySoon(), which resets it while the client is still sending
    const socket = this.req.socket;
    socket.destroySoon = () => closeLingering(socket);
  }

  /**
   * Once the response is sent: what is left of the body is read and dropped,
   * so the connection can carry the next request — at most DRAIN_LIMIT bytes,
   * then the connection is closed.
   */
  drain(res: ServerResponse): void {
    const { req } = this;
    if (req.complete) return;
    this.discarding = true;
    // a connection that closes anyway is read until it does (closeLingering bounds that in time)
    let budget = res.getHeader("connection") === "close" ? Infinity : DRAIN_LIMIT;
    const count = (chunk: Buffer) => {
      if ((budget -= chunk.byteLength) >= 0) return;
      req.off("data", count);
      closeLingering(req.socket);
    };
    req.on("data", count);
    req.resume();
  }
}

/**
 * Closes a connection the client may still be sending on: our side first,
 * then reading and dropping until the client closes too or LINGER_MS pass.
 * Closing at once would answer the client's next packet with a TCP reset,
 * which can destroy the response it has not read yet (RFC 9112 §9.6).
 */
function closeLingering(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  socket.once("end", () => socket.destroy());
  socket.resume();
}

async function reply(req: IncomingMessage, res: ServerResponse, body: IncomingBody, response: Response): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  body.lingerIfUnread(res);
  if (!response.body || req.method === "HEAD") return void res.end();
  // a body the runtime holds whole (a final Response): written as it is, not read back from its stream
  const whole = wholeBody(response);
  if (whole !== undefined) return void res.end(whole);
  // each chunk is written as it comes (a streamed body reaches the client live), at the client's pace
  const chunks = (response.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  let next = chunks.next();
  // a body that has nothing to send yet gets its head sent now (an event stream is "open" once it has it)
  if ((await Promise.race([next, afterTurn()])) === TURN) res.flushHeaders();
  try {
    for (let result = await next; !result.done; result = await next) {
      if (!res.write(result.value)) await drainedOrClosed(res);
      // the client left: stop reading, which cancels the body (a durable stream goes on being produced)
      if (res.destroyed) return;
      next = chunks.next();
    }
  } finally {
    if (res.destroyed) await chunks.return?.();
  }
  res.end();
}

const TURN = Symbol("turn");
const afterTurn = () => new Promise<typeof TURN>((resolve) => setImmediate(resolve, TURN));

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
