import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import durable from "@durable-endpoints/unplugin/vite";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempStore } from "./helpers/store.js";

// Inside the repository so the app resolves the workspace packages from node_modules.
const ROOT = fileURLToPath(new URL(`./.vite-dev-${process.pid}/`, import.meta.url));
const FILE = `${ROOT}endpoint.ts`;

const endpointSource = (version: string, extra = "") => `
import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

export const inngest = new Inngest({ id: "vite-dev", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const first = await step.run("first", () => {
    (globalThis as any).firstRuns = ((globalThis as any).firstRuns ?? 0) + 1;
    return "one";
  });
  const go = await step.waitForEvent("go", { event: "dev/go", timeout: "1m" });${extra}
  return Response.json({ first, version: "${version}", n: go?.data.n ?? null });
});
`;

type EndpointModule = {
  inngest: { send(e: unknown): Promise<unknown>; close(): Promise<void> };
  handler: (req: Request) => Promise<Response>;
};

async function reloaded(server: ViteDevServer, previous: EndpointModule): Promise<EndpointModule> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const current = (await server.ssrLoadModule("/endpoint.ts")) as EndpointModule;
    if (current !== previous) return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the edited module was never reloaded");
}

describe("Vite dev server (createServer + ssrLoadModule)", () => {
  const store = tempStore("vite-dev");
  let server: ViteDevServer;

  beforeAll(async () => {
    Object.assign(process.env, store.env);
    mkdirSync(ROOT, { recursive: true });
    writeFileSync(FILE, endpointSource("v1"));
    server = await createServer({
      root: ROOT,
      configFile: false,
      logLevel: "silent",
      appType: "custom",
      plugins: [durable({ alias: true })],
      server: { middlewareMode: true, hmr: false },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(ROOT, { recursive: true, force: true });
    store.remove();
  });

  it("reloads an edited endpoint; a run started before the edit finishes on the new code (replay fallback)", async () => {
    const v1 = (await server.ssrLoadModule("/endpoint.ts")) as EndpointModule;
    const url = "http://127.0.0.1/api/dev";
    const started = await v1.handler(new Request(url));
    expect(started.status).toBe(303); // waiting for "dev/go"
    const location = started.headers.get("location")!;

    // Edit the handler: a different body → a different version hash. Vite's watcher invalidates
    // the module; the next ssrLoadModule evaluates the new code.
    writeFileSync(FILE, endpointSource("v2", `\n  console.log("edited");`));
    const v2 = await reloaded(server, v1);
    await v1.inngest.close(); // what a dispose hook does: the old module's client is gone

    await v2.inngest.send({ name: "dev/go", data: { n: 7 } });
    const done = await v2.handler(new Request(new URL(location, url)));
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ first: "one", version: "v2", n: 7 });
    expect((globalThis as { firstRuns?: number }).firstRuns).toBe(1); // memoized by step id across versions
    await v2.inngest.close();
  });
});
