import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { step } from "@durable-endpoints/runtime";
import { createServer, toNodeHandler } from "@durable-endpoints/runtime/node";
import { closeClients, deferred, sleep, testClient } from "./helpers.js";

let server: http.Server;
let client: ReturnType<typeof testClient>["inngest"];
let base: string;
let agent: http.Agent;

beforeEach(async () => {
  const { inngest } = testClient({ maxBodyBytes: 1024 });
  client = inngest;
  const handler = inngest.endpoint(async (req: Request) => {
    const n = Number(new URL(req.url).searchParams.get("n") ?? 1);
    const doubled = await step.run("double", () => n * 2);
    // a wait no clock can end: a short sleep already past when checked would finish inline (200, no 303)
    if (n > 100) await step.waitForEvent("go", { event: "test/go", timeout: "1h" });
    const body = req.method === "POST" ? await req.text() : "";
    return new Response(JSON.stringify({ doubled, body }), {
      headers: { "content-type": "application/json", "set-cookie": "a=1" },
    });
  });
  // a second Set-Cookie header must survive toNodeHandler
  const node = toNodeHandler(async (req) => {
    const res = await handler(req);
    if (res.status === 200) res.headers.append("set-cookie", "b=2");
    return res;
  });
  server = createServer(node);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
});

afterEach(async () => {
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await closeClients();
});

/** One request over the shared keep-alive agent; returns status, headers, body and the socket used. */
function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: unknown }>((resolve, reject) => {
    const r = http.request(`${base}${path}`, { method, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text, socket: r.socket }));
    });
    r.on("error", reject);
    r.end(body);
  });
}

/** Writes raw bytes on a new connection; resolves with everything read until the server closes it (or 2 s pass). */
async function raw(head: string, body?: Buffer): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(Number(new URL(base).port), "127.0.0.1");
  let text = "";
  socket.on("data", (chunk) => (text += chunk.toString("latin1")));
  socket.on("error", () => {}); // a reset after the server closed: what was read is what counts
  socket.write(head);
  if (body) socket.write(body);
  const closed = await Promise.race([once(socket, "close").then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false))]);
  socket.destroy();
  return { text, closed };
}

describe("toNodeHandler over a real node:http server", () => {
  test("inline result with headers (both Set-Cookie values) and the run id", async () => {
    const res = await send("GET", "/api/double?n=21");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ doubled: 42, body: "" });
    expect(res.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(res.headers["x-durable-run-id"]).toMatch(/^[\w-]{22}$/);
  });

  test("fetch follows the 303 to the poll URL by itself", async () => {
    const pending = fetch(`${base}/api/double?n=500`, { method: "POST", body: "hello" });
    let answered = false;
    const settle = () => (answered = true);
    pending.then(settle, settle);
    while (!answered) { // until the run is waiting, an event is not for it: send until fetch has its answer
      await client.send({ name: "test/go" });
      await sleep(20);
    }
    const res = await pending;
    expect(res.redirected).toBe(true);
    expect(new URL(res.url).searchParams.has("__durable")).toBe(true);
    expect(await res.json()).toEqual({ doubled: 1000, body: "hello" });
  });

  test("a rejected body (413) is drained: the keep-alive connection serves the next request", async () => {
    const big = await send("POST", "/api/double?n=1", Buffer.alloc(64 * 1024, 1), { "content-type": "application/octet-stream" });
    expect(big.status).toBe(413);
    const next = await send("GET", "/api/double?n=2");
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body).doubled).toBe(4);
    expect(next.socket).toBe(big.socket);
  });

  test("a chunked body past the limit (no Content-Length) is 413 and the connection stays usable", async () => {
    const big = await new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
      const r = http.request(`${base}/api/double?n=1`, { method: "POST", agent, headers: { "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode!, socket: r.socket }));
      });
      r.on("error", reject);
      for (let i = 0; i < 64; i++) r.write(Buffer.alloc(1024, 2));
      r.end();
    });
    expect(big.status).toBe(413);
    const next = await send("GET", "/api/double?n=3");
    expect(JSON.parse(next.body).doubled).toBe(6);
    expect(next.socket).toBe(big.socket);
  });

  test("a declared body over the limit that was never read is drained: the next request on the socket is answered", async () => {
    // 256 KiB: more than the socket and stream buffers hold, so it is only drained if something reads it
    const big = await send("POST", "/api/double?n=1", Buffer.alloc(256 * 1024, 1), { "content-type": "application/octet-stream" });
    expect(big.status).toBe(413);
    const next = await send("GET", "/api/double?n=5");
    expect(JSON.parse(next.body).doubled).toBe(10);
    expect(next.socket).toBe(big.socket);
  });

  test("a body sent to a poll URL (405) is drained: the next request on the socket is answered", async () => {
    const first = await send("GET", "/api/double?n=500");
    expect(first.status).toBe(303);
    const refused = await send("POST", first.headers.location!, Buffer.alloc(256 * 1024, 1));
    expect(refused.status).toBe(405);
    const next = await send("GET", "/api/double?n=6");
    expect(JSON.parse(next.body).doubled).toBe(12);
    expect(next.socket).toBe(refused.socket);
  });

  test("a declared body too long to drain (> 1 MiB unread) is answered with Connection: close", async () => {
    const huge = await raw(`POST /api/double?n=1 HTTP/1.1\r\nHost: x\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n`, Buffer.alloc(3 * 1024 * 1024));
    expect(huge.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(huge.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(huge.closed).toBe(true);
  });

  /** Sends `head`, then a body of `size` bytes in 64 KiB writes, one per turn; resolves with all that was read when the server closed. */
  async function upload(head: string, size = 2 * 1024 * 1024): Promise<string> {
    const socket = net.connect(Number(new URL(base).port), "127.0.0.1");
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString("latin1")));
    socket.on("error", () => {});
    const closed = once(socket, "close");
    socket.write(head);
    for (let sent = 0; sent < size && !socket.destroyed; sent += 65536) {
      socket.write(Buffer.alloc(65536));
      await new Promise(setImmediate);
    }
    await closed;
    return text;
  }

  // node:http's own answers (to a missing Host, to headers over its 16 KiB limit) closed at once: every one of
  // these uploads lost its answer to a reset before createServer
  test("a request without Host whose body is still uploading gets its 400, not a reset", async () => {
    for (let i = 0; i < 10; i++) {
      const text = await upload(`PUT /api/double?n=${i} HTTP/1.1\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`);
      expect(text, `upload ${i}`).toMatch(/^HTTP\/1\.1 400 /);
      expect(text).toContain("Missing or invalid Host header");
    }
  });

  test("headers over node:http's limit with a body still uploading get node's 431, not a reset", async () => {
    for (let i = 0; i < 10; i++) {
      const text = await upload(`PUT /api/double?n=${i} HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`);
      expect(text, `upload ${i}`).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\nConnection: close\r\n/);
    }
  });

  test("a connection that closes after its answer (HTTP/1.0, Connection: close) closes lingering while a refused body is still uploading", async () => {
    // under the drain limit, so no `Connection: close` of ours: node:http closed these itself, at once, losing every 413
    const size = 512 * 1024;
    for (const [i, head] of [`HTTP/1.0\r\nHost: x`, `HTTP/1.1\r\nHost: x\r\nConnection: close`].entries()) {
      for (let n = 0; n < 5; n++) {
        const text = await upload(`POST /api/double?n=${n} ${head}\r\nContent-Length: ${size}\r\n\r\n`, size);
        expect(text, `${i}/${n}`).toMatch(/^HTTP\/1\.1 413 /);
      }
    }
  });

  test("a request node:http cannot parse is answered 400 once, and its connection closed", async () => {
    const answer = await raw("GET /api/double HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", Buffer.alloc(300_000));
    expect(answer.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer.text.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(answer.closed).toBe(true);
  });

  test("an absolute-form request target (as sent to a proxy) is served at its path", async () => {
    const { port } = new URL(base);
    const inline = await raw(`GET http://127.0.0.1:${port}/api/double?n=4 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(inline.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(inline.text).toContain('"doubled":8');
    const suspended = await raw(`GET http://127.0.0.1:${port}/api/double?n=400 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(suspended.text).toMatch(/\r\nlocation: \/api\/double\?__durable=[\w.-]+\r\n/i);
    for (const target of ["*", "ftp://127.0.0.1/api/double", "http://user@127.0.0.1/api/double"]) {
      expect((await raw(`OPTIONS ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)).text, target).toMatch(/^HTTP\/1\.1 400 /);
    }
  });

  test("bad Host is 400; a poll URL with a bogus token is 404; never 5xx", async () => {
    const noHost = await send("GET", "/api/double", undefined, { host: "bad host!" });
    expect(noHost.status).toBe(400);
    const bogus = await send("GET", "/api/double?__durable=nope");
    expect(bogus.status).toBe(404);
    const weird = await send("PATCH", "/api/double?__durable=nope");
    expect(weird.status).toBe(405);
    const cancelBogus = await send("DELETE", "/api/double?__durable=nope");
    expect(cancelBogus.status).toBe(404);
  });
});

describe("toNodeHandler: a handler that throws", () => {
  test("without a framework's next(): logged, answered like any uncaught error (generic in production), the connection still usable", async () => {
    const own = http.createServer(
      toNodeHandler(async (req) => {
        if (new URL(req.url).pathname === "/boom") throw new Error("secret detail");
        return new Response("fine");
      }),
    );
    own.listen(0, "127.0.0.1");
    await once(own, "listening");
    const ownAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const errors: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const get = (path: string, body?: Buffer) =>
        new Promise<{ status: number; text: string; socket: unknown }>((resolve, reject) => {
          const r = http.request(`http://127.0.0.1:${(own.address() as AddressInfo).port}${path}`, { method: body ? "POST" : "GET", agent: ownAgent }, (res) => {
            let text = "";
            res.on("data", (c) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode!, text, socket: r.socket }));
          });
          r.on("error", reject);
          r.end(body);
        });
      const boom = await get("/boom", Buffer.alloc(256 * 1024));
      expect(boom.status).toBe(500);
      expect(JSON.parse(boom.text).error.name).toBe("InternalServerError");
      expect(boom.text).not.toContain("secret detail");
      expect(errors.some((args) => args.some((a) => a instanceof Error && a.message === "secret detail"))).toBe(true);
      const next = await get("/fine");
      expect(next.text).toBe("fine");
      expect(next.socket).toBe(boom.socket);
    } finally {
      console.error = consoleError;
      process.env.NODE_ENV = previous;
      ownAgent.destroy();
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });
});

describe("toNodeHandler: req.signal", () => {
  /** A server whose handler hands its Request out; `closed` resolves after the adapter saw the response close. */
  async function serveRequests(respond: (req: Request) => Promise<Response>) {
    const seen: Request[] = [];
    let closed!: () => void;
    const responseClosed = new Promise<void>((resolve) => (closed = resolve));
    const own = http.createServer(toNodeHandler(async (req) => (seen.push(req), respond(req))));
    // registered after toNodeHandler's own "close" listener, so it runs after it
    own.on("request", (_req, res) => res.once("close", closed));
    own.listen(0, "127.0.0.1");
    await once(own, "listening");
    const url = `http://127.0.0.1:${(own.address() as AddressInfo).port}/`;
    return { own, url, seen, responseClosed };
  }

  test("aborts when the client goes away before the response is sent", async () => {
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const { own, url, seen } = await serveRequests(async (req) => {
      entered();
      await once(req.signal, "abort");
      return new Response("too late");
    });
    try {
      const r = http.request(url, { agent: false });
      r.on("error", () => {});
      r.end();
      await handlerEntered;
      r.destroy();
      await once(seen[0]!.signal, "abort");
      expect(seen[0]!.signal.aborted).toBe(true);
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });

  test("does not abort once the handler answered: a client leaving mid-body cancels the body instead", async () => {
    let cancelled!: () => void;
    const bodyCancelled = new Promise<void>((resolve) => (cancelled = resolve));
    const { own, url, seen, responseClosed } = await serveRequests(async () => {
      const encoder = new TextEncoder();
      return new Response(new ReadableStream({ pull: (c) => c.enqueue(encoder.encode("tick\n")), cancel: cancelled }));
    });
    try {
      const res = await fetch(url);
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel(); // the client leaves mid-body
      await Promise.all([bodyCancelled, responseClosed]);
      expect(seen[0]!.signal.aborted).toBe(false);
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });

  test("a durable endpoint's POST with a body: its handler's req.signal aborts when the client goes away, and when its run is cancelled", async () => {
    const { inngest, store } = testClient();
    const entered: Array<() => void> = [];
    const handed: Request[] = [];
    const handler = inngest.endpoint(async (request) => {
      handed.push(request);
      entered.shift()!();
      await once(request.signal, "abort");
      return new Response("too late");
    });
    const { own, url } = await serveRequests(handler);
    try {
      const first = new Promise<void>((resolve) => entered.push(resolve));
      const gone = http.request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } });
      gone.on("error", () => {});
      gone.end(JSON.stringify({ order: 1 }));
      await first;
      expect(await handed[0]!.json()).toEqual({ order: 1 });
      gone.destroy(); // the client leaves before the answer
      await once(handed[0]!.signal, "abort");

      const second = new Promise<void>((resolve) => entered.push(resolve));
      const answer = fetch(url, { method: "POST", body: JSON.stringify({ order: 2 }) });
      await second;
      const running = (await store.listRuns()).find((run) => run.status === "running");
      await inngest.cancel(running!.id);
      expect((handed[1]!.signal.reason as Error).name).toBe("AbortError");
      expect((await answer).status).toBe(409);
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });

  test("a durable endpoint's handler gets the adapter's Request, whose signal aborts when its run is cancelled (the request gets 409)", async () => {
    const { inngest, store } = testClient();
    const started = deferred();
    const release = deferred();
    const handed: Request[] = [];
    const handler = inngest.endpoint(async (request) => {
      handed.push(request);
      await step.run("slow", async () => {
        started.resolve();
        await release.promise;
      });
      return new Response("not reached");
    });
    const { own, url, seen } = await serveRequests(handler);
    try {
      const answer = fetch(url);
      await started.promise;
      const [running] = await store.listRuns();
      expect(await inngest.cancel(running!.id)).toMatchObject({ status: "cancelled", changed: true });
      expect(handed[0]).toBe(seen[0]);
      expect((handed[0]!.signal.reason as Error).name).toBe("AbortError");
      release.resolve();
      expect((await answer).status).toBe(409);
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });

  test("does not abort once the response was sent in full", async () => {
    const { own, url, seen, responseClosed } = await serveRequests(async () => new Response("done"));
    try {
      const res = await fetch(url, { headers: { connection: "close" } });
      expect(await res.text()).toBe("done");
      await responseClosed;
      expect(seen[0]!.signal.aborted).toBe(false);
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });
});
