/**
 * HTTP load (P3, P8, P10): server processes of servers/http-server.mjs, loaded
 * by autocannon 8's in-process API on 127.0.0.1 (P10 reads with fetch).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const serverScript = fileURLToPath(new URL("../servers/http-server.mjs", import.meta.url));

/**
 * One server process serving an endpoint (default the 3-step one, at `path`) over `storeUrl` (ignored by "plain");
 * `nodeOptions` go to its node (e.g. --cpu-prof).
 */
export async function startServer(flavor, storeUrl, { endpoint = "threeSteps", path = "/checkout?id=42", nodeOptions = [] } = {}) {
  const child = spawn(process.execPath, [...nodeOptions, serverScript, flavor, storeUrl, endpoint], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(child.stdout, "data");
  const { port } = JSON.parse(String(line));
  return {
    url: `http://127.0.0.1:${port}${path}`,
    pid: child.pid,
    signal: (name) => child.kill(name),
    async stop() {
      child.kill();
      if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
    },
  };
}

/** autocannon on `url` (one or several: connections are spread over them); requests/s and p99 latency. */
export async function load(url, seconds, connections = 10) {
  const result = await autocannon({ url, connections, duration: seconds });
  const failures = result.errors + result.timeouts + result.non2xx;
  if (failures > 0) throw new Error(`${url}: ${failures} failed requests of ${result.requests.total}`);
  return { rps: result.requests.average, p99_ms: result.latency.p99 };
}

