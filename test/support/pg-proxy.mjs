// A TCP proxy in front of Postgres that cuts or stalls connections on cue. It reads the wire protocol
// (startup parameters, Query/Parse SQL text, ReadyForQuery transaction status), so a fault can hit a
// chosen statement: before the server sees it, or after the server ran it but before the client
// hears the result; only inside a transaction; after N bytes; on selected connections only. What it
// did is in `proxy.events`. An "orphan" fault models a client that vanished while its statement was still
// on the way (a network path or a pooler that delivers it late): the client sees its connection cut at once,
// and the server gets the statement later, on its still-open connection, runs it and commits, and its
// answer goes nowhere.
import { once } from "node:events";
import { createServer, connect } from "node:net";

/**
 * @typedef {object} ConnectionInfo
 * @property {number} id                 1, 2, … in the order clients connected
 * @property {string} [applicationName]  from the startup message (`?application_name=` in a pg URL)
 * @property {string} [database]
 * @property {string} [user]
 * @property {boolean} inTransaction     the last ReadyForQuery said "in a transaction" (or a failed one)
 * @property {number} bytesToServer
 * @property {number} bytesToClient
 *
 * @typedef {object} FaultRule
 * @property {"cut" | "stall" | "orphan"} [action="cut"]  cut: both sockets destroyed; stall: traffic held until
 *   `stallMs` elapsed or `proxy.resume()`; orphan (with `before`): the client's socket destroyed now, the
 *   statement (and whatever the client sent with it) held on the server's still-open connection until the
 *   handle's `deliver()` sends it: the server runs it then, its answer is dropped and the connection ends
 * @property {RegExp | string} [before]  a statement whose SQL matches (a string: contained in it): act
 *   before it reaches the server
 * @property {RegExp | string} [after]   a statement whose SQL matches: let the server run it, act when
 *   its result is complete (at ReadyForQuery), before the client sees any of it
 * @property {number} [afterBytes]      act once the connection carried this many bytes (`direction`)
 * @property {"toServer" | "toClient" | "both"} [direction="both"]  what `afterBytes` counts
 * @property {boolean} [inTransaction]  only statements sent inside a transaction (after BEGIN)
 * @property {(connection: ConnectionInfo) => boolean} [connection]  which connections (default all)
 * @property {number} [skip=0]          let this many matches pass first
 * @property {number} [times=1]         how many times it acts (Infinity: every match)
 * @property {number} [stallMs]         for "stall": resume by itself after this long
 * @property {string} [name]            shows in `events` (default: a description of the rule)
 *
 * @typedef {object} FaultEvent
 * @property {"cut" | "stall" | "resume" | "refused" | "orphan" | "delivered"} action
 * @property {string} fault
 * @property {number} connection
 * @property {string} [applicationName]
 * @property {string} [sql]              the statement it hit
 * @property {number} [bytesToServer]    what the connection had carried by then
 * @property {number} [bytesToClient]
 * @property {number} at                 Date.now()
 */

/**
 * @param {{ target: string | { host?: string, port: number }, port?: number }} options
 *   `target`: a postgres:// URL or host and port of the real server
 */
export async function startPgProxy({ target, port = 0 }) {
  const upstream = typeof target === "string" ? { host: new URL(target).hostname, port: Number(new URL(target).port || 5432) } : { host: "127.0.0.1", ...target };
  /** @type {Set<ProxiedConnection>} */
  const live = new Set();
  /** @type {Fault[]} */
  const faults = [];
  /** @type {FaultEvent[]} */
  const events = [];
  let nextId = 1;
  let refusing = false;

  const server = createServer((client) => {
    const id = nextId++;
    if (refusing) {
      events.push({ action: "refused", fault: "down()", connection: id, at: Date.now() });
      client.destroy();
      return;
    }
    const connection = new ProxiedConnection(id, client, connect(upstream.port, upstream.host), faults, events);
    live.add(connection);
    connection.closed.then(() => live.delete(connection));
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const listening = server.address().port;

  return {
    port: listening,
    /** `url` (default: the target) re-pointed at the proxy, same user, database and parameters. */
    url(url = typeof target === "string" ? target : `postgres://postgres@127.0.0.1:${upstream.port}/postgres`) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(listening);
      return parsed.href;
    },
    /** @returns {ConnectionInfo[]} the connections open now */
    get connections() {
      return [...live].map((c) => c.info);
    },
    events,
    /**
     * Arms a fault; it acts on matching traffic from now on.
     * @param {FaultRule} rule
     */
    fault(rule) {
      const fault = new Fault(rule, faults);
      faults.push(fault);
      return fault.handle;
    },
    /** Cuts every open connection (or those `select` picks) now; resolves with how many. */
    cutAll(select = () => true) {
      const victims = [...live].filter((c) => select(c.info));
      for (const c of victims) c.cut("cutAll()");
      return victims.length;
    },
    /** Holds all traffic of every open connection (or those `select` picks) until `resume()`. */
    stallAll(select = () => true) {
      const victims = [...live].filter((c) => select(c.info));
      for (const c of victims) c.stall("stallAll()");
      return victims.length;
    },
    /** Releases every stalled connection. */
    resume() {
      for (const c of live) c.resume("resume()");
    },
    /** An outage: cuts every connection and refuses new ones until `up()`. */
    down() {
      refusing = true;
      for (const c of live) c.cut("down()");
    },
    up() {
      refusing = false;
    },
    async close() {
      for (const c of live) c.cut("close()");
      server.close();
      await once(server, "close");
    },
  };
}

class Fault {
  constructor(rule, list) {
    this.rule = { action: "cut", direction: "both", skip: 0, times: 1, ...rule };
    this.name = rule.name ?? describe(this.rule);
    this.matches = 0;
    this.acted = 0;
    this.list = list;
    let fire;
    this.firedOnce = new Promise((resolve) => (fire = resolve));
    this.fire = fire;
    const fault = this;
    this.handle = {
      name: this.name,
      /** Resolves with the first event this fault caused. */
      fired: this.firedOnce,
      get hits() {
        return fault.acted;
      },
      remove: () => this.remove(),
      /**
       * "orphan": sends the held statement to the server now; resolves with the "delivered" event once the
       * server answered it (its ReadyForQuery: committed, or not), then ends that connection.
       */
      deliver: () => {
        if (!fault.orphaned) throw new Error(`${fault.name}: nothing held (the fault has not acted)`);
        return fault.orphaned.deliver(fault.name);
      },
    };
  }

  /** Whether this fault acts on this occasion (and counts it if so). */
  take(connection, kind, sql) {
    const r = this.rule;
    if (this.acted >= r.times) return false;
    if (r.connection && !r.connection(connection.info)) return false;
    if (kind === "bytes") {
      if (r.afterBytes === undefined) return false;
    } else {
      const pattern = r[kind];
      if (pattern === undefined || !matches(pattern, sql)) return false;
      if (r.inTransaction !== undefined && r.inTransaction !== connection.info.inTransaction) return false;
    }
    if (this.matches++ < r.skip) return false;
    this.acted++;
    if (this.acted >= r.times) this.remove();
    return true;
  }

  remove() {
    const index = this.list.indexOf(this);
    if (index >= 0) this.list.splice(index, 1);
  }
}

/** One client connection and its server connection. */
class ProxiedConnection {
  constructor(id, client, server, faults, events) {
    this.client = client;
    this.server = server;
    this.faults = faults;
    this.events = events;
    /** @type {ConnectionInfo} */
    this.info = { id, inTransaction: false, bytesToServer: 0, bytesToClient: 0 };
    this.fromClient = Buffer.alloc(0);
    this.fromServer = Buffer.alloc(0);
    this.startup = true; // the client's next message has no type byte
    this.serverAnswersSsl = false; // the server's next byte is the one-byte answer to SSLRequest
    this.opaque = false; // TLS or a cancel request: bytes pass unread
    this.dead = false;
    /** An "after" fault waiting for the statement's ReadyForQuery; server bytes are held meanwhile. */
    this.afterPending = null;
    this.held = { toServer: [], toClient: [] };
    this.stalled = false;
    /** "orphan": the client is gone, the server's connection is kept; `delivered` resolves its answer */
    this.orphan = null;
    this.closed = new Promise((resolve) => (this.onClosed = resolve));

    for (const [socket, other] of [[client, server], [server, client]]) {
      socket.on("error", () => {});
      socket.on("close", () => {
        if (socket === client && this.orphan) return; // the server's connection lives on
        other.destroy();
        this.dead = true;
        this.onClosed();
      });
    }
    client.on("data", (chunk) => this.receive("toServer", chunk));
    server.on("data", (chunk) => this.receive("toClient", chunk));
  }

  receive(direction, chunk) {
    if (this.dead) return;
    const counter = direction === "toServer" ? "bytesToServer" : "bytesToClient";
    const reaches = (f) => f.rule.afterBytes !== undefined && ["both", direction].includes(f.rule.direction) && this.counted(f.rule.direction) + chunk.length >= f.rule.afterBytes;
    const fault = this.faults.find((f) => reaches(f) && f.take(this, "bytes"));
    if (!fault) {
      this.info[counter] += chunk.length;
      return this.forward(direction, chunk);
    }
    // Exactly up to the limit, possibly mid-message: what the parser holds back goes out unparsed, and
    // from here on the connection's bytes pass unread.
    const room = Math.max(0, fault.rule.afterBytes - this.counted(fault.rule.direction));
    const unparsed = direction === "toServer" ? this.fromClient : this.fromServer;
    if (direction === "toServer") this.fromClient = Buffer.alloc(0);
    else this.fromServer = Buffer.alloc(0);
    this.opaque = true;
    this.info[counter] += room;
    this.send(direction, Buffer.concat([unparsed, chunk.subarray(0, room)]));
    this.act(fault, undefined);
    this.receive(direction, chunk.subarray(room));
  }

  counted(direction) {
    if (direction === "toServer") return this.info.bytesToServer;
    if (direction === "toClient") return this.info.bytesToClient;
    return this.info.bytesToServer + this.info.bytesToClient;
  }

  /** Parses what arrived into whole messages and passes them on, applying statement faults. */
  forward(direction, chunk) {
    if (this.opaque) return this.send(direction, chunk);
    if (direction === "toServer") {
      this.fromClient = Buffer.concat([this.fromClient, chunk]);
      for (let message; !this.dead && (message = this.nextClientMessage()); ) this.clientMessage(message);
    } else {
      this.fromServer = Buffer.concat([this.fromServer, chunk]);
      for (let message; !this.dead && (message = this.nextServerMessage()); ) this.serverMessage(message);
    }
  }

  nextClientMessage() {
    const offset = this.startup ? 0 : 1;
    if (this.fromClient.length < offset + 4) return null;
    const length = offset + this.fromClient.readInt32BE(offset);
    if (this.fromClient.length < length) return null;
    const message = this.fromClient.subarray(0, length);
    this.fromClient = this.fromClient.subarray(length);
    return message;
  }

  nextServerMessage() {
    if (this.serverAnswersSsl) {
      if (this.fromServer.length < 1) return null;
      this.serverAnswersSsl = false;
      const answer = this.fromServer.subarray(0, 1);
      this.fromServer = this.fromServer.subarray(1);
      if (answer[0] === 0x53) this.opaque = true; // 'S': TLS from here on
      return answer;
    }
    if (this.fromServer.length < 5) return null;
    const length = 1 + this.fromServer.readInt32BE(1);
    if (this.fromServer.length < length) return null;
    const message = this.fromServer.subarray(0, length);
    this.fromServer = this.fromServer.subarray(length);
    return message;
  }

  clientMessage(message) {
    if (this.startup) {
      const code = message.readInt32BE(4);
      if (code === 80877103 || code === 80877104) this.serverAnswersSsl = true; // SSLRequest, GSSENCRequest
      else {
        this.startup = false;
        if (code === 80877102) this.opaque = true; // CancelRequest
        else Object.assign(this.info, startupParameters(message));
      }
      return this.send("toServer", message);
    }
    const sql = statementText(message);
    if (sql !== undefined && !this.stalled) {
      const before = this.faults.find((f) => f.take(this, "before", sql));
      if (before) {
        this.act(before, sql);
        if (this.dead) return;
      }
      const after = !this.afterPending && this.faults.find((f) => f.take(this, "after", sql));
      if (after) this.afterPending = { fault: after, sql };
    }
    this.send("toServer", message);
    // an orphaned statement is whole once its Sync (extended protocol) or Query is held: then the client goes
    if (this.orphan && !this.orphan.clientGone && (message[0] === 0x53 || message[0] === 0x51)) {
      this.orphan.clientGone = true;
      this.client.destroy();
    }
  }

  serverMessage(message) {
    if (message.length === 6 && message[0] === 0x5a) this.info.inTransaction = message[5] !== 0x49; // 'Z', status 'I' = idle
    if (this.orphan) {
      // nobody to answer: the held statement's result is dropped; its ReadyForQuery says the server is done with it
      if (message[0] === 0x5a && this.orphan.sent) this.orphan.answered();
      return;
    }
    if (this.afterPending) {
      this.held.toClient.push(message);
      if (message[0] !== 0x5a) return;
      const { fault, sql } = this.afterPending;
      this.afterPending = null;
      return this.act(fault, sql);
    }
    this.send("toClient", message);
  }

  act(fault, sql) {
    const event = this.report(fault.rule.action, fault.name, sql);
    fault.fire(event);
    if (fault.rule.action === "cut") return this.cut();
    if (fault.rule.action === "orphan") return this.orphanNow(fault);
    this.stalled = true;
    if (fault.rule.stallMs !== undefined) setTimeout(() => this.resume(`${fault.name} (after ${fault.rule.stallMs} ms)`), fault.rule.stallMs);
  }

  report(action, fault, sql) {
    const { id, applicationName, bytesToServer, bytesToClient } = this.info;
    const event = { action, fault, connection: id, applicationName, sql, bytesToServer, bytesToClient, at: Date.now() };
    this.events.push(event);
    return event;
  }

  send(direction, bytes) {
    if (this.dead || bytes.length === 0) return;
    if (this.stalled) return void this.held[direction].push(bytes);
    (direction === "toServer" ? this.server : this.client).write(bytes);
  }

  cut(reason) {
    if (this.dead) return;
    if (reason) this.report("cut", reason);
    this.dead = true;
    this.client.destroy();
    this.server.destroy();
  }

  /** The client's side goes now; what it sent from here on is held for the server until `deliver`. */
  orphanNow(fault) {
    this.stalled = true;
    this.held.toClient = [];
    let answered;
    const done = new Promise((resolve) => (answered = resolve));
    this.orphan = {
      sent: false,
      clientGone: false,
      answered: () => answered(),
      deliver: async (name) => {
        if (this.dead) throw new Error(`${name}: the server's connection is gone`);
        this.orphan.sent = true;
        const { toServer } = this.held;
        this.held = { toServer: [], toClient: [] };
        this.stalled = false;
        for (const bytes of toServer) this.server.write(bytes);
        await done;
        const event = this.report("delivered", name);
        this.server.end(); // as the server finds a vanished client's socket: closed
        return event;
      },
    };
    fault.orphaned = this.orphan;
  }

  stall(reason) {
    if (this.dead || this.stalled) return;
    this.report("stall", reason);
    this.stalled = true;
  }

  resume(reason) {
    if (this.dead || !this.stalled) return;
    this.report("resume", reason);
    this.stalled = false;
    const { toServer, toClient } = this.held;
    this.held = { toServer: [], toClient: [] };
    for (const bytes of toServer) this.send("toServer", bytes);
    for (const bytes of toClient) this.send("toClient", bytes);
  }
}

/** The SQL of a simple Query ('Q') or a Parse ('P') message. */
function statementText(message) {
  const type = message[0];
  if (type === 0x51) return message.toString("utf8", 5, message.indexOf(0, 5));
  if (type === 0x50) {
    const nameEnd = message.indexOf(0, 5);
    return message.toString("utf8", nameEnd + 1, message.indexOf(0, nameEnd + 1));
  }
  return undefined;
}

function startupParameters(message) {
  const fields = message.toString("utf8", 8, message.length - 1).split("\0");
  const params = {};
  for (let i = 0; i + 1 < fields.length; i += 2) params[fields[i]] = fields[i + 1];
  return { user: params.user, database: params.database, applicationName: params.application_name };
}

function matches(pattern, sql) {
  return typeof pattern === "string" ? sql.includes(pattern) : pattern.test(sql);
}

function describe(rule) {
  const where = rule.before !== undefined ? `before ${rule.before}` : rule.after !== undefined ? `after ${rule.after}` : `after ${rule.afterBytes} bytes (${rule.direction})`;
  return `${rule.action} ${where}${rule.inTransaction ? " in a transaction" : ""}`;
}
