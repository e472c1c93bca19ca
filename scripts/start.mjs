// `npm start` (after `npm run build`): the playground, the Node example app and the run inspector
// (`durable ui` on the app's store), all on 127.0.0.1. Ctrl-C stops them all.
// PLAYGROUND_PORT / APP_PORT / INSPECTOR_PORT pick ports (default 5173 / 3000 / 4400; 0 = any free port);
// EXAMPLE_STORE the app's SQLite file (default .durable/example-app.db).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { preview } from "vite";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const appEntry = join(root, "examples/node-http/dist/server.js");
const storePath = resolvePath(root, process.env.EXAMPLE_STORE ?? ".durable/example-app.db");
const durableBin = join(root, "packages/cli/bin/durable.js");

for (const built of [join(root, "playground/dist/index.html"), appEntry, join(root, "packages/cli/dist/page/index.html")]) {
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
  app.stdout.on("data", function untilListening(chunk) {
    const match = /listening on (http:\/\/\S+)/.exec(chunk);
    if (!match) return void process.stdout.write(chunk);
    app.stdout.off("data", untilListening);
    resolve(match[1]);
  });
  app.on("exit", (code) => fail(`the example app exited (code ${code})`));
});
app.stdout.on("data", (chunk) => process.stdout.write(chunk)); // the app's own log, from now on

// The inspector never creates a store: wait for the app to open (create) its SQLite file.
for (let waited = 0; !existsSync(storePath); waited += 50) {
  if (waited > 15_000) fail(`the example app did not create its store ${storePath}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
// Endpoint ids are module paths relative to the app's build root: the inspector reads sources from there.
const inspectorArgs = ["ui", "--store", storeUrl, "--root", join(root, "examples/node-http")];
let { inspector, inspectorUrl } = await startInspector(process.env.INSPECTOR_PORT ?? "4400");
if (!inspectorUrl) ({ inspector, inspectorUrl } = await startInspector("0")); // the port was taken: any free one
if (!inspectorUrl) fail("the run inspector did not start");

console.log(`
  Playground   ${playgroundUrl}
               edit a handler, see its state machine, run it, crash it, resume it

  Example app  ${appUrl}   (store: ${storeUrl})
               curl -L '${appUrl}/api/checkout?orderId=o1&sleep=2s'     (waits for approval…)
               curl '${appUrl}/api/approve?orderId=o1&by=me'            (…sent from another terminal)

  Inspector    ${inspectorUrl}
               the example app's runs, live: timeline, state and locals, source; send events, wake runs
               (also: DURABLE_STORE_URL=${storeUrl} npx durable runs | run <run id>)

  Ctrl-C to stop.
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    app.removeAllListeners("exit");
    inspector.removeAllListeners("exit");
    const exited = (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
    inspector.kill("SIGTERM");
    app.kill("SIGTERM");
    void Promise.all([exited(app), exited(inspector), playground.close()]).finally(() => process.exit(0));
  });
}

/** Starts `durable ui` on `port`; no URL when it exits first (e.g. the port is taken). */
async function startInspector(port) {
  const child = spawn(process.execPath, [durableBin, ...inspectorArgs, "--port", port], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise((resolve) => {
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
      const match = /durable ui: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    child.once("exit", () => resolve(null));
  });
  if (!url) {
    if (!/already in use/.test(output)) process.stderr.write(output);
    return { inspector: child, inspectorUrl: null };
  }
  child.on("exit", (code) => fail(`the run inspector exited (code ${code})`));
  return { inspector: child, inspectorUrl: url };
}

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}
