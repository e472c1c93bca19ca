/**
 * Hostile HTTP requests from a seed: methods, request targets (`//host`, `/\host`, absolute-form,
 * dot segments, very long), headers (Host, credentials, Idempotency-Keys shared between callers,
 * oversized), bodies (around the size limit, chunked, truncated, deeply nested JSON, invalid UTF-8)
 * and poll tokens (valid, flipped, truncated, repeated, on another endpoint, wrong method).
 *
 * Each request says what a correct server may answer (`expect`), so the driver can judge it.
 */

import { createHash } from "node:crypto";
import { random } from "../support/random.mjs";

/** Methods the runtime serves; any other method node:http parses must be 501. */
export const SERVED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const CALLERS = [
  { name: "anonymous", headers: [] },
  { name: "alice", headers: [["Authorization", "Bearer alice-token"]] },
  { name: "bob", headers: [["Authorization", "Bearer bob-token"]] },
  { name: "carol", headers: [["Cookie", "session=carol; theme=dark"]] },
  { name: "dave", headers: [["Authorization", "Basic ZGF2ZTpwdw=="], ["Cookie", "session=dave"]] },
];

const SHARED_KEYS = ["order-1", "order-2", "checkout", "k", "same-key-for-everyone"];
const PATHS = ["/api/echo", "/api/orders", "/api/a/b", "/m/compiled", "/m/other", "/"];
const ACTIONS = [
  [50, null],
  [14, "sleep"],
  [8, "step"],
  [5, "wait"],
  [5, "cookie"],
  [2, "throw"],
  [2, "fail"],
];

/** What toNodeHandler drains of a body it did not read; past it, the connection closes. */
const DRAIN_LIMIT = 1024 * 1024;

const sha1 = (bytes) => createHash("sha1").update(bytes).digest("hex");

export class Generator {
  /** @param {{ seed: number, port: number, maxBody: number }} options */
  constructor({ seed, port, maxBody }) {
    this.r = random(seed);
    this.host = `127.0.0.1:${port}`;
    this.maxBody = maxBody;
    this.serial = 0;
    /** poll URLs seen in 303/202 answers: `{ location, path }` */
    this.locations = [];
  }

  /** Remembers a Location the server issued, to replay (and mangle) its token later. */
  remember(location) {
    if (this.locations.length >= 200) this.locations.splice(this.r.int(this.locations.length), 1);
    this.locations.push(location);
  }

  next() {
    const { r } = this;
    const n = `${++this.serial}`;
    const caller = r.weighted([[4, CALLERS[0]], [3, CALLERS[1]], [3, CALLERS[2]], [2, CALLERS[3]], [2, CALLERS[4]]]);
    const poll = this.locations.length > 0 && r.chance(0.2);
    const method = r.weighted([
      [30, "GET"],
      [25, "POST"],
      [5, "HEAD"],
      [6, "PUT"],
      [3, "PATCH"],
      [4, "DELETE"],
      [3, "OPTIONS"],
      [1, "PROPFIND"],
      [1, "TRACE"],
      [1, "PURGE"],
      [1, "QUERY"],
    ]);
    const target = poll ? this.pollTarget() : this.target(n);
    const headers = [];
    const host = r.weighted([
      [90, this.host],
      [2, null],
      [2, ""],
      [2, "evil.example"],
      [1, "bad host!"],
      [1, "[::1]:8080"],
      [1, `${this.host}, evil.example`],
      [1, "a".repeat(300)],
    ]);
    if (host !== null) headers.push(["Host", host]);
    headers.push(...caller.headers);
    const key = this.idempotencyKey();
    if (key !== null) headers.push(["Idempotency-Key", key]);
    headers.push(...this.extraHeaders());
    const { body, framing } = this.body(method);
    const truncated = body !== null && r.chance(0.02);
    const http10 = r.chance(0.02);
    const close = r.chance(0.03);
    if (close) headers.push(["Connection", "close"]);
    if (http10 && r.chance(0.5)) headers.push(["Connection", "keep-alive"]);
    if (body !== null && r.chance(0.03)) headers.push(["Expect", "100-continue"]);

    const bytes = this.encode({ method, target, headers, body, framing, truncated, http10 });
    return {
      n,
      method,
      target,
      caller: caller.name,
      key,
      poll,
      truncated,
      lying: framing === "lying" && body !== null && body.length > 4,
      bytes,
      digest: body === null ? null : sha1(body),
      bodyBytes: body?.length ?? 0,
      action: poll ? null : new URLSearchParams(target.split("#")[0].split("?")[1] ?? "").get("do"),
      chunkedOverDrainLimit: framing === "chunked" && !http10 && body !== null && body.length > DRAIN_LIMIT,
      summary: `${method} ${target.length > 120 ? `${target.slice(0, 120)}…(${target.length})` : target} host=${host === null ? "none" : JSON.stringify(host.slice(0, 40))} caller=${caller.name} key=${key === null ? "none" : JSON.stringify(key.slice(0, 24)) + (key.length > 24 ? `…(${key.length})` : "")} body=${body === null ? "none" : `${body.length}B/${framing}`}${truncated ? " truncated" : ""}${http10 ? " HTTP/1.0" : ""}`,
    };
  }

  target(n) {
    const { r } = this;
    const path = r.weighted([
      [50, r.pick(PATHS)],
      [12, `/r/${r.int(1e9).toString(36)}`], // a distinct path: plain handlers must not keep one endpoint per path forever
      [3, "//evil.example/x"],
      [3, "/\\evil.example/x"],
      [2, "/\\/evil.example/x"],
      [2, "//evil.example"],
      [2, "/%2F%2Fevil.example/x"],
      [2, "/api/./echo/../echo"],
      [2, `http://${this.host}/api/echo`],
      [2, "http://evil.example/api/echo"],
      [1, `https://${this.host}/api/echo`],
      [1, "ftp://evil.example/x"],
      [1, "*"],
      [1, "/api/echo/"],
      [1, "/%00/%ff/é"],
      [1, `/long/${"x".repeat(r.int(9000))}`],
    ]);
    const query = new URLSearchParams({ n });
    const action = r.weighted(ACTIONS);
    if (action) query.set("do", action);
    if (r.chance(0.05)) query.append("n", "duplicate");
    if (r.chance(0.03)) query.set("__durable", "");
    let search = query.toString();
    if (r.chance(0.03)) search += "&%zz=%&&=";
    if (r.chance(0.01)) search += "#fragment";
    return path === "*" ? path : `${path}?${search}`;
  }

  pollTarget() {
    const { r } = this;
    const location = r.pick(this.locations);
    const [path, search = ""] = location.split("?");
    const token = new URLSearchParams(search).get("__durable") ?? "";
    const mangled = r.weighted([
      [50, token],
      [8, token.slice(0, -1) + (token.at(-1) === "A" ? "B" : "A")], // flipped
      [6, token.slice(0, r.int(token.length))], // truncated
      [4, `${token}${token}`],
      [4, `${token}x`],
      [3, token.replace(".", "")],
      [3, `${"A".repeat(22)}.${token.split(".")[1] ?? ""}`],
    ]);
    const where = r.weighted([
      [70, path],
      [10, r.pick(PATHS)], // another endpoint: 404
      [5, `/${path}`], // '//…' in front
      [5, `http://${this.host}${path}`],
    ]);
    const extra = r.weighted([
      [85, ""],
      [5, `&__durable=${encodeURIComponent(token)}`],
      [5, "&n=other"],
      [5, `&__durable=${encodeURIComponent(mangled)}x`],
    ]);
    return `${where}?__durable=${encodeURIComponent(mangled)}${extra}`;
  }

  idempotencyKey() {
    const { r } = this;
    return r.weighted([
      [60, null],
      [15, r.pick(SHARED_KEYS)],
      [10, `key-${r.int(1e9)}`],
      [2, ""],
      [2, "   "],
      [2, "k".repeat(255)],
      [2, "k".repeat(256)],
      [2, "x".repeat(4096)],
    ]);
  }

  extraHeaders() {
    const { r } = this;
    const headers = [];
    const pool = [
      ["Accept", "application/json"],
      ["Accept-Language", "fr-CH, fr;q=0.9"],
      ["Content-Type", r.pick(["application/json", "text/plain; charset=utf-8", "application/octet-stream", "application/x-www-form-urlencoded", "x/y;;=="])],
      ["X-Access-Token", "secret-access"],
      ["Api-Key", "secret-api"],
      ["X-Goog-Api-Key", "secret-goog"],
      ["Private-Token", "secret-private"],
      ["X-Session-Token", "secret-session"],
      ["X-Forwarded-Host", "evil.example"],
      ["X-Forwarded-Proto", "gopher"],
      ["Last-Event-ID", "42"],
      ["Range", "bytes=0-10"],
      ["Upgrade", "websocket"],
      ["X-Weird", "tab\tinside"],
      ["X-Empty", ""],
      ["X-Latin1", "caf\xe9"],
    ];
    for (let i = r.int(4); i > 0; i--) headers.push(r.pick(pool));
    if (r.chance(0.01)) headers.push(["X-Big", "b".repeat(20_000)]); // over node:http's 16 KiB: 431
    if (r.chance(0.01)) for (let i = 0; i < 200; i++) headers.push([`X-Many-${i}`, "v".repeat(40)]);
    return headers;
  }

  /** `{ body: Buffer | null, framing: "length" | "chunked" | "lying" }` */
  body(method) {
    const { r, maxBody } = this;
    const carries = method !== "GET" && method !== "HEAD" ? r.chance(0.85) : r.chance(0.05);
    if (!carries) return { body: null, framing: "length" };
    const kind = r.weighted([
      [30, "json"],
      [15, "text"],
      [10, "around-limit"],
      [5, "over-limit"],
      [5, "deep-json"],
      [5, "invalid-utf8"],
      [5, "empty"],
      [1, "huge"],
    ]);
    let body;
    if (kind === "json") body = Buffer.from(JSON.stringify({ requestId: `r-${r.int(100)}`, items: [1, 2, 3], note: "é" }));
    else if (kind === "text") body = Buffer.from("hello ".repeat(r.int(50)));
    else if (kind === "around-limit") body = Buffer.alloc(maxBody + r.int(5) - 2, 0x61);
    else if (kind === "over-limit") body = Buffer.alloc(maxBody + 1 + r.int(maxBody), 0x62);
    else if (kind === "deep-json") {
      const depth = 5000 + r.int(20_000);
      body = Buffer.from(r.chance(0.5) ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`);
      if (body.length > maxBody) body = body.subarray(0, 0); // the point is depth, not size (size has its own cases)
    } else if (kind === "invalid-utf8") body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]);
    else if (kind === "empty") body = Buffer.alloc(0);
    else body = Buffer.alloc(1024 * 1024 + r.int(2 * 1024 * 1024), 0x63); // 1–3 MiB: drained or closed, never stuck
    const framing = r.weighted([
      [70, "length"],
      [28, "chunked"],
      [2, "lying"], // Content-Length says less than is sent: the rest parses as a (malformed) next request
    ]);
    return { body, framing };
  }

  encode({ method, target, headers, body, framing, truncated, http10 }) {
    const all = [...headers];
    let payload = body ?? Buffer.alloc(0);
    if (body !== null) {
      if (framing === "chunked" && !http10) {
        all.push(["Transfer-Encoding", "chunked"]);
        const pieces = [];
        for (let at = 0; at < body.length; ) {
          const size = Math.min(body.length - at, 1 + this.r.int(64 * 1024));
          pieces.push(Buffer.from(`${size.toString(16)}\r\n`), body.subarray(at, at + size), Buffer.from("\r\n"));
          at += size;
        }
        pieces.push(Buffer.from("0\r\n\r\n"));
        payload = Buffer.concat(pieces);
      } else if (framing === "lying" && body.length > 4) {
        all.push(["Content-Length", String(body.length - 3)]);
      } else {
        all.push(["Content-Length", String(body.length)]);
      }
    }
    if (truncated) payload = payload.subarray(0, Math.floor(payload.length / 2));
    const head = `${method} ${target} HTTP/1.${http10 ? 0 : 1}\r\n${all.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, "latin1"), payload]);
  }
}
