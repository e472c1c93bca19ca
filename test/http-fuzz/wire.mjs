/**
 * A raw HTTP/1.1 client connection: writes any bytes (malformed request lines, absolute-form targets,
 * truncated bodies) and parses the responses itself, so the fuzz is not limited to what node:http's
 * client agrees to send.
 */

import net from "node:net";

export class HungError extends Error {}
export class ClosedError extends Error {}

const CRLF_CRLF = Buffer.from("\r\n\r\n");

export class Connection {
  /** @param {number} port */
  constructor(port) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.setNoDelay(true);
    this.buffer = Buffer.alloc(0);
    this.ended = false;
    this.closed = false;
    /** @type {(() => void) | null} */
    this.wake = null;
    this.socket.on("data", (chunk) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    const finish = () => {
      this.ended = true;
      this.wake?.();
    };
    this.socket.on("end", finish);
    this.socket.on("error", finish);
    this.socket.on("close", () => {
      this.closed = true;
      finish();
    });
    this.requests = 0;
  }

  /** True while the connection can carry another request. */
  get usable() {
    return !this.ended && !this.closed && !this.socket.destroyed;
  }

  destroy() {
    this.socket.destroy();
  }

  /** Writes raw request bytes; a failed write shows up as a close while reading. */
  write(bytes) {
    this.requests++;
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /**
   * Reads one response (skipping 1xx). `head`: the request was HEAD (no body follows).
   * Rejects with HungError after `timeoutMs`, ClosedError when the server closed first.
   */
  async read({ head = false, timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await this.readOne(head, deadline);
      if (response.status >= 200 || response.status === 101) return response;
    }
  }

  async readOne(head, deadline) {
    const end = await this.until(deadline, () => {
      const at = this.buffer.indexOf(CRLF_CRLF);
      return at < 0 ? null : at;
    });
    const lines = this.buffer.subarray(0, end).toString("latin1").split("\r\n");
    this.buffer = this.buffer.subarray(end + 4);
    const statusLine = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!statusLine) throw new Error(`malformed status line: ${JSON.stringify(lines[0])}`);
    const status = Number(statusLine[1]);
    /** @type {Record<string, string[]>} */
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    const header = (name) => headers[name]?.join(", ");
    let body = Buffer.alloc(0);
    if (status >= 200 && !head && status !== 204 && status !== 304) {
      if (/chunked/i.test(header("transfer-encoding") ?? "")) body = await this.readChunked(deadline);
      else if (header("content-length") !== undefined) body = await this.take(Number(header("content-length")), deadline);
      else body = await this.readToClose(deadline);
    }
    const close = /close/i.test(header("connection") ?? "");
    return { status, reason: statusLine[2] ?? "", headers, header, body, close };
  }

  async take(n, deadline) {
    await this.until(deadline, () => (this.buffer.length >= n ? true : null));
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  async readChunked(deadline) {
    const parts = [];
    for (;;) {
      const lineEnd = await this.until(deadline, () => {
        const at = this.buffer.indexOf("\r\n");
        return at < 0 ? null : at;
      });
      const size = parseInt(this.buffer.subarray(0, lineEnd).toString("latin1"), 16);
      this.buffer = this.buffer.subarray(lineEnd + 2);
      if (size === 0) {
        // trailers (none expected), then the final CRLF
        await this.until(deadline, () => {
          const at = this.buffer.indexOf("\r\n");
          return at < 0 ? null : at;
        });
        this.buffer = this.buffer.subarray(this.buffer.indexOf("\r\n") + 2);
        return Buffer.concat(parts);
      }
      parts.push(await this.take(size, deadline));
      await this.take(2, deadline);
    }
  }

  async readToClose(deadline) {
    await this.until(deadline, () => (this.ended ? true : null), true);
    const out = this.buffer;
    this.buffer = Buffer.alloc(0);
    return out;
  }

  /** Waits until `ready()` returns non-null; ClosedError if the connection ended first (unless `atEnd`). */
  async until(deadline, ready, atEnd = false) {
    for (;;) {
      const value = ready();
      if (value !== null) return value;
      if (this.ended && !atEnd) throw new ClosedError("connection closed before a complete response");
      const left = deadline - Date.now();
      if (left <= 0) throw new HungError("no complete response in time");
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }
}
