/**
 * The fault proxy against a real `pg` client and the test server: each fault mode hits the client as
 * it should, and the server's side of the story (was the statement run? committed?) is checked on a
 * direct connection.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPgProxy } from "./pg-proxy.mjs";
import { postgresUrl, testPostgresUrl } from "./postgres.mjs";

const schema = `support_proxy_${process.pid}`;
const direct = new pg.Pool({ connectionString: testPostgresUrl(), max: 2 });
let proxy: Awaited<ReturnType<typeof startPgProxy>>;
const clients: pg.Client[] = [];

beforeAll(async () => {
  await direct.query(`CREATE SCHEMA "${schema}"`);
  await direct.query(`CREATE TABLE "${schema}".t (x TEXT PRIMARY KEY)`);
  proxy = await startPgProxy({ target: testPostgresUrl() });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.end().catch(() => {});
  await direct.query(`TRUNCATE "${schema}".t`);
});

afterAll(async () => {
  await proxy?.close();
  await direct.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await direct.end();
});

/** A client through the proxy; `name` becomes its application_name. */
async function through(name = "proxied") {
  const client = new pg.Client({ connectionString: postgresUrl(proxy.url(), { application_name: name }) });
  client.on("error", () => {});
  clients.push(client);
  await client.connect();
  return client;
}

const insert = (client: pg.Client, x: string) => client.query(`INSERT INTO "${schema}".t (x) VALUES ($1)`, [x]);
const stored = async () => (await direct.query<{ x: string }>(`SELECT x FROM "${schema}".t ORDER BY x`)).rows.map((r) => r.x);
const lost = /Connection terminated/;

describe("pg fault proxy", () => {
  it("passes traffic through and knows each connection's application_name", async () => {
    const client = await through("app-a");
    await insert(client, "a");
    expect((await client.query("SELECT 1 + 1 AS two")).rows).toEqual([{ two: 2 }]);
    expect(proxy.connections).toContainEqual(expect.objectContaining({ applicationName: "app-a", user: "postgres", inTransaction: false }));
    expect(await stored()).toEqual(["a"]);
  });

  it("cut before a statement: the client fails and the server never ran it", async () => {
    const client = await through();
    const fault = proxy.fault({ before: /INSERT INTO/, times: 2 });
    await expect(insert(client, "b")).rejects.toThrow(lost); // extended protocol: Parse/Bind/Execute
    const again = await through();
    await expect(again.query(`INSERT INTO "${schema}".t (x) VALUES ('b')`)).rejects.toThrow(lost); // simple Query
    expect(await fault.fired).toMatchObject({ action: "cut", sql: expect.stringContaining("INSERT INTO"), applicationName: "proxied" });
    expect(fault.hits).toBe(2);
    expect(await stored()).toEqual([]);
  });

  it("cut after a statement: the server committed it, the client never heard", async () => {
    const client = await through();
    proxy.fault({ after: "INSERT INTO" });
    await expect(insert(client, "c")).rejects.toThrow(lost);
    expect(await stored()).toEqual(["c"]);
  });

  it("cut mid-transaction: the statement after BEGIN is cut and the transaction rolls back", async () => {
    const client = await through();
    const fault = proxy.fault({ before: /./, inTransaction: true });
    await client.query("SELECT 1"); // outside a transaction: untouched
    await client.query("BEGIN");
    await expect(insert(client, "d")).rejects.toThrow(lost);
    expect((await fault.fired).sql).toContain("INSERT INTO");
    expect(await stored()).toEqual([]);
  });

  it("cut before COMMIT: everything the transaction wrote is lost", async () => {
    const client = await through();
    proxy.fault({ before: /^COMMIT/i });
    await client.query("BEGIN");
    await insert(client, "e");
    await expect(client.query("COMMIT")).rejects.toThrow(lost);
    expect(await stored()).toEqual([]);
  });

  it("hits only the selected connections, after skipping the first matches", async () => {
    const victim = await through("victim");
    const bystander = await through("bystander");
    const fault = proxy.fault({ before: "INSERT", connection: (c) => c.applicationName === "victim", skip: 1 });
    await insert(victim, "f1"); // skipped
    await insert(bystander, "g1");
    await insert(bystander, "g2");
    await expect(insert(victim, "f2")).rejects.toThrow(lost);
    await insert(bystander, "g3");
    expect(fault.hits).toBe(1);
    expect(await stored()).toEqual(["f1", "g1", "g2", "g3"]);
  });

  it("acts `times` times, on new connections too", async () => {
    proxy.fault({ before: "INSERT", times: 2 });
    await expect(insert(await through(), "h1")).rejects.toThrow(lost);
    await expect(insert(await through(), "h2")).rejects.toThrow(lost);
    await insert(await through(), "h3");
    expect(await stored()).toEqual(["h3"]);
  });

  it("cutAll cuts every open connection (or the selected ones) and reports each", async () => {
    const a = await through("all-a");
    const b = await through("all-b");
    const c = await through("keep");
    const firstEvent = proxy.events.length;
    expect(proxy.cutAll((conn) => conn.applicationName !== "keep")).toBe(2);
    await expect(a.query("SELECT 1")).rejects.toThrow();
    await expect(b.query("SELECT 1")).rejects.toThrow();
    await c.query("SELECT 1");
    expect(proxy.events.slice(firstEvent).map((e) => [e.action, e.applicationName])).toEqual([
      ["cut", "all-a"],
      ["cut", "all-b"],
    ]);
  });

  it("stall before a statement: the server does not see it until resume()", async () => {
    const client = await through();
    const fault = proxy.fault({ action: "stall", before: "INSERT" });
    let settled = false;
    const pending = insert(client, "i").finally(() => (settled = true));
    await fault.fired;
    expect(await stored()).toEqual([]);
    expect(settled).toBe(false);
    proxy.resume();
    await pending;
    expect(await stored()).toEqual(["i"]);
  });

  it("stall after a statement: committed on the server while the client still waits for the answer", async () => {
    const client = await through();
    const fault = proxy.fault({ action: "stall", after: "INSERT" });
    let settled = false;
    const pending = insert(client, "j").finally(() => (settled = true));
    await fault.fired;
    expect(await stored()).toEqual(["j"]);
    expect(settled).toBe(false);
    proxy.resume();
    await expect(pending).resolves.toMatchObject({ rowCount: 1 });
  });

  it("orphan before a statement: the client fails at once; the server runs and commits it when deliver() sends it, after the client's next statements", async () => {
    const client = await through();
    const fault = proxy.fault({ action: "orphan", before: "INSERT" });
    await expect(insert(client, "o")).rejects.toThrow(lost);
    expect((await fault.fired).action).toBe("orphan");
    // the client goes on on a new connection; its old statement is still on its way
    await insert(await through(), "p");
    expect(await stored()).toEqual(["p"]);
    expect((await fault.deliver()).action).toBe("delivered");
    expect(await stored()).toEqual(["o", "p"]);
  });

  it("stallAll holds every connection; a stall with stallMs resumes by itself", async () => {
    const client = await through();
    expect(proxy.stallAll()).toBeGreaterThanOrEqual(1);
    let settled = false;
    const pending = client.query("SELECT 1").finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    proxy.resume();
    await pending;

    const fault = proxy.fault({ action: "stall", before: "SELECT 2", stallMs: 50 });
    await client.query("SELECT 2");
    expect(proxy.events.filter((e) => e.action === "resume").map((e) => e.fault)).toContain(`${fault.name} (after 50 ms)`);
  });

  it("cut after N bytes: exactly N bytes reach the client, mid-message", async () => {
    const client = await through("bytes");
    const { bytesToClient } = proxy.connections.find((c) => c.applicationName === "bytes")!;
    proxy.fault({ afterBytes: bytesToClient + 20, direction: "toClient", connection: (c) => c.applicationName === "bytes" });
    await expect(client.query("SELECT repeat('x', 1000) AS long")).rejects.toThrow(lost);
    const event = proxy.events.findLast((e) => e.applicationName === "bytes" && e.fault.startsWith("cut after"))!;
    expect(event).toMatchObject({ fault: `cut after ${bytesToClient + 20} bytes (toClient)`, bytesToClient: bytesToClient + 20 });
  });

  it("down() cuts everything and refuses new connections until up()", async () => {
    const client = await through();
    proxy.down();
    await expect(client.query("SELECT 1")).rejects.toThrow();
    await expect(through()).rejects.toThrow();
    expect(proxy.events.at(-1)).toMatchObject({ action: "refused" });
    proxy.up();
    await (await through()).query("SELECT 1");
  });
});
