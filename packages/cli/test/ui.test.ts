/**
 * `durable ui` (the BUILT binary, as a child process): its options and errors, and who may talk to it —
 * loopback Host headers only by default (DNS rebinding), a token on every request when exposed,
 * actions only as same-origin JSON POSTs. The pages themselves are tested in Chromium (test/browser).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { sqliteStore } from "@durable-endpoints/runtime/sqlite";
import { transform } from "@durable-endpoints/transform";

const cliDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(cliDir, "bin", "durable.js");
const tmp = mkdtempSync(join(tmpdir(), "durable-cli-ui-"));
const storeUrl = `sqlite://${join(tmp, "runs.db")}`;
const env = { ...process.env, DURABLE_STORE_URL: undefined };

beforeAll(async () => {
  const store = sqliteStore({ path: join(tmp, "runs.db") }); // an empty, existing store
  await store.listRuns();
  await store.close();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const durable = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: cliDir, encoding: "utf8", env });

function durableAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: cliDir, env });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

interface Running {
  child: ChildProcess;
  url: string;
  stdout: string;
  stop(): Promise<number | null>;
}

async function start(args: string[], store = storeUrl): Promise<Running> {
  const child = spawn(process.execPath, [bin, "ui", "--store", store, "--port", "0", ...args], { cwd: cliDir, env });
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /^durable ui: (\S+)$/m.exec(stdout);
      if (match && stdout.includes("Ctrl-C to stop")) resolve(match[1]!);
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${stdout}`)));
  });
  return {
    child,
    url,
    get stdout() {
      return stdout;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so the Host header can be anything. */
function call(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const target = new URL(options.path ?? "/", url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("durable ui: options and errors", () => {
  it("is in the usage text", () => {
    expect(durable(["--help"]).stdout).toMatch(/durable ui \[--store URL\] \[--port N\] \[--root DIR\] \[--host H --token T\]/);
  });

  // Nine CLI processes: run side by side, with room for a loaded machine.
  it("fails clearly on bad options, a missing store and a busy port", { timeout: 120_000 }, async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as AddressInfo).port;
    const cases: [string[], RegExp][] = [
      [[], /no store: pass --store/],
      [["--store", `sqlite://${join(tmp, "missing.db")}`], /store not found: no SQLite database at .*missing\.db/],
      [["--store", "memory:"], /a memory: store lives inside its process/],
      [["--store", storeUrl, "--port", "http"], /--port must be a port number from 0 to 65535 \(got "http"/],
      [["--store", storeUrl, "--port", "70000"], /--port must be a port number/],
      [["--store", storeUrl, "--root", join(tmp, "nowhere")], /--root .*nowhere: no such directory/],
      [["--store", storeUrl, "--token", "short"], /--token must be at least 16 characters/],
      [["--store", storeUrl, "--port", "0", "--host", "192.0.2.1", "--token", "0123456789abcdef"], /cannot listen on --host 192\.0\.2\.1/],
      [["--store", storeUrl, "--port", String(port)], new RegExp(`port ${port} is already in use on 127\\.0\\.0\\.1: pick another with --port`)],
    ];
    try {
      const results = await Promise.all(cases.map(([args]) => durableAsync(["ui", ...args])));
      results.forEach((result, i) => {
        expect(result.code, result.stdout).toBe(1);
        expect(result.stderr).toMatch(cases[i]![1]);
      });
    } finally {
      busy.close();
    }
  });
});

describe("durable ui on localhost (the default)", () => {
  let ui: Running;
  beforeAll(async () => {
    ui = await start([]);
  });
  afterAll(async () => {
    expect(await ui.stop()).toBe(0); // SIGTERM: closes the server and the store, exits 0
  });

  it("binds 127.0.0.1, prints its URL without a token, serves the page with a strict CSP", async () => {
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ui.stdout).toContain(`store ${storeUrl}`);
    const page = await call(ui.url);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(page.headers["x-frame-options"]).toBe("DENY");
    const script = /src="(\/assets\/[^"]+)"/.exec(page.body)![1]!;
    expect((await call(ui.url, { path: script })).headers["cache-control"]).toMatch(/immutable/);
    expect((await call(ui.url, { path: "/runs/some-run" })).status).toBe(200); // the page routes itself
  });

  it("answers the API in JSON; a bad filter is 400, an unknown run or path 404, other methods 405", async () => {
    const runs = await call(ui.url, { path: "/api/runs" });
    expect([runs.status, JSON.parse(runs.body)]).toEqual([200, { runs: [] }]);
    const bad = await call(ui.url, { path: "/api/runs?status=sleeping" });
    expect([bad.status, JSON.parse(bad.body)]).toEqual([400, { error: 'status must be one of running, waiting, completed, failed, cancelled (got "sleeping")' }]);
    expect((await call(ui.url, { path: "/api/runs?from=yesterday" })).status).toBe(400);
    expect((await call(ui.url, { path: "/api/runs?limit=0" })).status).toBe(400);
    const missing = await call(ui.url, { path: "/api/runs/nope" });
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { error: "no run nope in this store" }]);
    expect((await call(ui.url, { path: "/etc/passwd" })).status).toBe(404);
    expect((await call(ui.url, { path: "/assets/../../package.json" })).status).toBe(404);
    expect((await call(ui.url, { method: "DELETE", path: "/api/runs" })).status).toBe(405);
  });

  it("only answers requests addressed to localhost: a DNS-rebinding Host is refused", async () => {
    const port = new URL(ui.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await call(ui.url, { path: "/api/info", headers: { Host: host } })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, `evil.example`, `127.0.0.1.evil.example:${port}`, `localhost:${Number(port) + 1}`]) {
      const refused = await call(ui.url, { path: "/api/runs", headers: { Host: host } });
      expect([refused.status, JSON.parse(refused.body).error], host).toEqual([421, "this inspector only answers requests addressed to localhost"]);
    }
  });

  it("takes actions only as same-origin JSON POSTs: a cross-site form or fetch is refused", async () => {
    const host = new URL(ui.url).host;
    const event = JSON.stringify({ name: "order/approved", data: { orderId: "o-1" } });
    const post = (path: string, headers: Record<string, string>, body = event) => call(ui.url, { method: "POST", path, headers, body });
    // what a cross-site <form> can send, and what a cross-origin fetch carries
    expect((await post("/api/events", { "Content-Type": "text/plain" })).status).toBe(415);
    expect((await post("/api/events", { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example" })).status).toBe(403);
    expect((await post("/api/events", { "Content-Type": "application/json", Origin: "https://evil.example" })).status).toBe(403);
    expect((await post("/api/events", { "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await post("/api/events", { "Content-Type": "application/json", Origin: `http://${host}.evil.example` })).status).toBe(403);

    const sent = await post("/api/events", { "Content-Type": "application/json", Origin: `http://${host}`, "Sec-Fetch-Site": "same-origin" });
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body)).toEqual({ ids: [expect.any(String)], woken: [] });
    const json = { "Content-Type": "application/json; charset=utf-8" };
    expect(JSON.parse((await post("/api/events", json, '{"data":{}}')).body)).toEqual({ error: 'every event needs a non-empty "name"' });
    expect((await post("/api/events", json, '{"name":"x","data":[1]}')).status).toBe(400);
    expect((await post("/api/events", json, '{"name":"x","id":7}')).status).toBe(400);
    expect((await post("/api/events", json, "{")).status).toBe(400);
    expect((await post("/api/events", json, JSON.stringify({ name: "x", data: { pad: "x".repeat(1024 * 1024) } }))).status).toBe(413);
    for (const action of ["wake", "cancel", "retry"]) {
      const answer = await post(`/api/runs/nope/${action}`, json, "{}");
      expect([answer.status, JSON.parse(answer.body)], action).toEqual([404, { error: "no run nope in this store" }]);
      // cancel and retry are actions like the others: refused from another site or as a form
      expect((await post(`/api/runs/nope/${action}`, { "Content-Type": "application/json", Origin: "https://evil.example" }, "{}")).status, action).toBe(403);
      expect((await post(`/api/runs/nope/${action}`, { "Content-Type": "text/plain" }, "{}")).status, action).toBe(415);
    }
    for (const action of ["cancel", "retry"]) expect((await post(`/api/runs/nope/${action}`, json, "[]")).status, action).toBe(400);
    expect(JSON.parse((await post("/api/runs/nope/cancel", json, '{"reason":7}')).body)).toEqual({ error: '"reason" must be a string' });
    const long = await post("/api/runs/nope/cancel", json, JSON.stringify({ reason: "x".repeat(1001) }));
    expect([long.status, JSON.parse(long.body)]).toEqual([400, { error: '"reason" must be a string of at most 1000 characters' }]);
    expect((await post("/api/runs", json, "{}")).status).toBe(404);
  });

  it("streams the run list as server-sent events", async () => {
    const answer = await new Promise<{ type: string | undefined; first: string }>((resolve, reject) => {
      const target = new URL("/api/runs/live", ui.url);
      const req = request(target, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
          if (text.includes("event: runs")) {
            resolve({ type: res.headers["content-type"], first: text });
            req.destroy();
          }
        });
      });
      req.on("error", reject);
      req.end();
    });
    expect(answer.type).toMatch(/^text\/event-stream/);
    expect(answer.first).toContain('event: runs\ndata: {"runs":[]}\n\n');
  });
});

describe("durable ui exposed (--host 0.0.0.0)", () => {
  let ui: Running;
  let token = "";
  beforeAll(async () => {
    ui = await start(["--host", "0.0.0.0"]);
    token = new URL(ui.url).searchParams.get("token") ?? "";
  });
  afterAll(async () => {
    expect(await ui.stop()).toBe(0);
  });

  it("generates a token, prints it in the URL and says every request needs it", () => {
    expect(ui.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/\?token=[\w-]{32}$/);
    expect(ui.stdout).toMatch(/every request needs the token/);
  });

  it("refuses requests without the token, whatever their Host", async () => {
    const base = `http://127.0.0.1:${new URL(ui.url).port}`;
    for (const headers of [{}, { Authorization: "Bearer wrong-token-wrong-token" }, { Cookie: `durable_ui_${new URL(ui.url).port}=wrong` }]) {
      const refused = await call(base, { path: "/api/runs", headers });
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body).error).toMatch(/a token is required/);
    }
    expect((await call(base, { path: "/?token=wrong" })).status).toBe(401);
    // actions too: a same-origin JSON POST without the token changes nothing
    for (const action of ["cancel", "retry"]) {
      const refused = await call(base, { method: "POST", path: `/api/runs/r1/${action}`, headers: { "Content-Type": "application/json" }, body: "{}" });
      expect(refused.status, action).toBe(401);
    }
  });

  it("accepts the token as a bearer, or from the printed URL, which sets a strict cookie and drops it from the address", async () => {
    const port = new URL(ui.url).port;
    const base = `http://127.0.0.1:${port}`;
    expect((await call(base, { path: "/api/runs", headers: { Authorization: `Bearer ${token}`, Host: `inspector.lan:${port}` } })).status).toBe(200);
    const login = await call(base, { path: `/runs/r1?token=${token}` });
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe("/runs/r1");
    const cookie = String(login.headers["set-cookie"]);
    expect(cookie).toMatch(new RegExp(`^durable_ui_${port}=${token}; HttpOnly; SameSite=Strict; Path=/$`));
    const withCookie = await call(base, { path: "/api/info", headers: { Cookie: cookie.split(";")[0]! } });
    expect(withCookie.status).toBe(200);
    expect(JSON.parse(withCookie.body)).toEqual({ store: storeUrl });
  });
});

describe("durable ui with --token on localhost", () => {
  it("requires the token too", async () => {
    const ui = await start(["--token", "a-chosen-token-of-32-characters!"]);
    try {
      expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=a-chosen-token-of-32-characters!$/);
      const base = `http://127.0.0.1:${new URL(ui.url).port}`;
      expect((await call(base, { path: "/api/runs" })).status).toBe(401);
      expect((await call(base, { path: "/api/runs", headers: { Authorization: "Bearer a-chosen-token-of-32-characters!" } })).status).toBe(200);
    } finally {
      expect(await ui.stop()).toBe(0);
    }
  });
});

describe("durable ui: a run's module, mapped to its states", () => {
  const sourcesUrl = `sqlite://${join(tmp, "sources.db")}`;
  const ids = { compiled: "", replay: "" };
  let ui: Running;

  beforeAll(async () => {
    // A run of the shop fixture compiled with root = this package (endpoint "test/fixtures/shop.ts#checkout")…
    const source = join(cliDir, "test", "fixtures", "shop.ts");
    const out = join(cliDir, "test", ".compiled", "shop-ui.ts");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, transform(readFileSync(source, "utf8"), { filename: source, root: cliDir }).code);
    process.env.DURABLE_STORE_URL = sourcesUrl;
    try {
      const shop = (await import(out)) as typeof import("./fixtures/shop.js");
      const waiting = await shop.checkout(new Request("http://127.0.0.1/checkout?sku=pen&wait=1"));
      ids.compiled = waiting.headers.get("X-Durable-Run-Id")!;
      await shop.inngest.close();
    } finally {
      delete process.env.DURABLE_STORE_URL;
    }
    // …and a run of an uncompiled handler (replay mode)
    const inngest = new Inngest({ id: "plain", endpointAdapter, store: sqliteStore({ path: join(tmp, "sources.db") }) });
    const plain = inngest.endpoint(async () => Response.json(await step.run("one", () => 1)));
    ids.replay = (await plain(new Request("http://127.0.0.1/plain"))).headers.get("X-Durable-Run-Id")!;
    await inngest.close();
    ui = await start(["--root", cliDir], sourcesUrl);
  });
  afterAll(async () => {
    expect(await ui.stop()).toBe(0);
  });

  const sourceOf = async (running: Running, runId: string) => JSON.parse((await call(running.url, { path: `/api/runs/${runId}` })).body).source;

  it("reads the module under --root and maps each state to its awaits, locals and lines", async () => {
    const mapped = await sourceOf(ui, ids.compiled);
    expect(mapped).toMatchObject({ file: "test/fixtures/shop.ts", stale: false });
    expect(mapped.lines.join("\n")).toBe(readFileSync(join(cliDir, "test", "fixtures", "shop.ts"), "utf8"));
    expect(mapped.states[3]).toMatchObject({ state: 3, steps: [{ id: "cool-down", kind: "sleep", line: 16 }], captured: ["sku", "placedAt", "charge"] });
    expect(mapped.states[3].lines).toContain(16);
  });

  it("says why there is no source: a replay-mode run, a module not under --root, a module changed since", async () => {
    expect(await sourceOf(ui, ids.replay)).toEqual({ unavailable: "an uncompiled handler (replay mode) has no state machine" });

    const elsewhere = join(tmp, "elsewhere");
    mkdirSync(join(elsewhere, "test", "fixtures"), { recursive: true });
    const other = await start(["--root", elsewhere], sourcesUrl);
    try {
      expect((await sourceOf(other, ids.compiled)).unavailable).toBe(`cannot read test/fixtures/shop.ts: no such file (under --root ${elsewhere})`);
      // the same module, edited after the run started: another version
      const edited = readFileSync(join(cliDir, "test", "fixtures", "shop.ts"), "utf8").replace('"load-cart"', '"fetch-cart"');
      writeFileSync(join(elsewhere, "test", "fixtures", "shop.ts"), edited);
      const stale = await sourceOf(other, ids.compiled);
      expect(stale).toMatchObject({ file: "test/fixtures/shop.ts", stale: true });
      expect(stale.lines.join("\n")).toContain('"fetch-cart"');
    } finally {
      expect(await other.stop()).toBe(0);
    }
  });
});
