// `npm start` (after `npm run build`): the playground and the Node example app, both on 127.0.0.1.
// Ctrl-C stops both. PLAYGROUND_PORT / APP_PORT pick ports (default 5173 / 3000; 0 = any free port).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { preview } from "vite";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const appEntry = join(root, "examples/node-http/dist/server.js");
const storePath = join(root, ".durable/example-app.db");

for (const built of [join(root, "playground/dist/index.html"), appEntry]) {
  if (!existsSync(built)) fail(`${built} is missing: run \`npm run build\` first (npm start does).`);
}

const playground = await preview({
  root: join(root, "playground"),
  logLevel: "warn",
  preview: { host: "127.0.0.1", port: Number(process.env.PLAYGROUND_PORT ?? 5173), strictPort: false },
});
const playgroundUrl = playground.resolvedUrls?.local[0] ?? "(unknown)";

mkdirSync(dirname(storePath), { recursive: true });
const storeUrl = `sqlite://${storePath}`;
const app = spawn(process.execPath, ["--enable-source-maps", appEntry], {
  cwd: root,
  env: { ...process.env, PORT: process.env.APP_PORT ?? "3000", DURABLE_STORE_URL: storeUrl },
  stdio: ["ignore", "pipe", "inherit"],
});
const appUrl = await new Promise((resolve) => {
  app.stdout.setEncoding("utf8");
  app.stdout.on("data", (chunk) => {
    const match = /listening on (http:\/\/\S+)/.exec(chunk);
    if (match) resolve(match[1]);
    else process.stdout.write(chunk);
  });
  app.on("exit", (code) => fail(`the example app exited (code ${code})`));
});
app.stdout.on("data", (chunk) => process.stdout.write(chunk));

console.log(`
  Playground   ${playgroundUrl}
               edit a handler, see its state machine, run it, crash it, resume it

  Example app  ${appUrl}   (store: ${storeUrl})
               curl -L '${appUrl}/api/checkout?orderId=o1&sleep=2s'     (waits for approval…)
               curl '${appUrl}/api/approve?orderId=o1&by=me'            (…sent from another terminal)

  Inspect      DURABLE_STORE_URL=${storeUrl} npx durable runs
               DURABLE_STORE_URL=${storeUrl} npx durable run <run id>

  Ctrl-C to stop.
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    app.removeAllListeners("exit");
    app.once("exit", () => void playground.close().finally(() => process.exit(0)));
    app.kill("SIGTERM");
  });
}

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}
