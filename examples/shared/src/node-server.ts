import { createServer, toNodeHandler } from "@durable-endpoints/runtime/node";
import { inngest } from "./endpoints.js";
import { handle } from "./routes.js";

// Entry of the Node bundles (esbuild, Rollup, webpack, Rspack, Vite SSR). PORT=0 picks a free port.
// createServer (not node:http's): no answer is lost to a reset while a client is still sending its body
const server = createServer(toNodeHandler(handle));
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === "object" && address ? address.port : ""}`);
  // Open the store and start the scheduler now: runs left behind by a previous process resume by themselves.
  void inngest.start();
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.close(() => void inngest.close().finally(() => process.exit(0))));
}
