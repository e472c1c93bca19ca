/** Shared test helpers: a client on a memory store with a captured logger, and request shortcuts. */

import { Inngest, type InngestOptions, type Logger, type Store } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { memoryStore } from "@durable-endpoints/runtime/memory";

export interface TestClient {
  inngest: Inngest;
  store: Store;
  logs: { level: string; message: string }[];
}

const clients: Inngest[] = [];

export function testClient(options: Partial<InngestOptions> = {}): TestClient {
  const logs: TestClient["logs"] = [];
  const record = (level: string) => (...args: unknown[]) => logs.push({ level, message: args.map(String).join(" ") });
  const logger: Logger = { info: record("info"), warn: record("warn"), error: record("error") };
  const store = options.store ?? memoryStore();
  const inngest = new Inngest({ id: "test-app", endpointAdapter, logger, pollMs: 2000, ...options, store });
  clients.push(inngest);
  return { inngest, store, logs };
}

/** Closes every client made by testClient (call in afterEach). */
export async function closeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

export const req = (path: string, init?: RequestInit) => new Request(`http://localhost${path}`, init);

/** Follows a 303 to the poll URL and long-polls until the final Response. */
export async function follow(handler: (r: Request) => Promise<Response>, first: Response, base = "http://localhost"): Promise<Response> {
  let res = first;
  for (let i = 0; i < 100 && (res.status === 303 || res.status === 202); i++) {
    const location = res.headers.get("location")!;
    res = await handler(new Request(new URL(location, base)));
  }
  return res;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
